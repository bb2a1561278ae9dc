namespace Lethe.TestSupport.ArgvFuzz;

/// <summary>
/// One argument or option of a command line a fuzzer mutates: an option (<see cref="Name"/> starting with
/// '-', <see cref="Value"/> null for a flag) or an argument (<see cref="Name"/> is what the program calls it).
/// </summary>
/// <param name="Judge">Whether the program must take a value here: false when it surely refuses it, null when that depends on more than the value.</param>
/// <param name="Pool">Values worth trying here beyond <see cref="ArgvValues.Odd"/>: the slot's own edge cases.</param>
/// <param name="Aliases">Other words a refusal may name this slot by (the server's field name, say).</param>
public sealed record ArgvSlot(string Name, string? Value, Func<string, bool?> Judge, bool Required = false, bool Repeatable = false,
    IReadOnlyList<string>? Pool = null, IReadOnlyList<string>? Aliases = null, bool OddValues = true)
{
    public bool IsOption => Name.StartsWith('-');

    /// <summary>Never dropped, nor its name taken from its value: for a slot whose absence would send output where a test cannot have it.</summary>
    public bool Keep { get; init; }

    /// <summary>Given another value by the fuzzer: judged as it finally stands, since a second mutation may have put a good one back.</summary>
    public bool Mutated { get; init; }

    public IEnumerable<string> Tokens => !IsOption ? [Value!] : Value is null ? [Name] : [Name, Value];

    public static ArgvSlot Option(string name, string value, Func<string, bool?> judge, bool required = false, IReadOnlyList<string>? pool = null,
        bool repeatable = false, bool oddValues = true, IReadOnlyList<string>? aliases = null) =>
        new(name, value, judge, required, repeatable, pool, aliases, oddValues);

    public static ArgvSlot Flag(string name) => new(name, null, _ => null);

    public static ArgvSlot Argument(string name, string value, Func<string, bool?> judge, IReadOnlyList<string>? pool = null,
        IReadOnlyList<string>? aliases = null, bool oddValues = true) =>
        new(name, value, judge, Required: true, Pool: pool, Aliases: aliases, OddValues: oddValues);
}

/// <summary>A valid command line: the command's words, then its slots in order.</summary>
/// <param name="Variadic">The command takes any number of arguments (rule parse), so an extra token is not surely an error.</param>
public sealed record ArgvCommand(string[] Words, IReadOnlyList<ArgvSlot> Slots, bool Variadic = false)
{
    public string[] Args => [.. Words, .. Slots.SelectMany(s => s.Tokens)];
}

/// <summary>A mutated command line, what was done to it, and what a refusal of it must name.</summary>
/// <param name="SurelyInvalid">The program must refuse it (exit non-zero): a value its slot surely refuses, a required slot missing, an unknown token.</param>
/// <param name="Names">Words of which a refusal must hold one (an option's name, an unknown token), or none when any refusal will do.</param>
public sealed record ArgvCase(ArgvCommand Seed, string[] Args, string Mutation, bool SurelyInvalid, IReadOnlyList<string> Names);
