namespace Lethe.TestSupport.ArgvFuzz;

/// <summary>Values an operator or a script gets wrong: empty, huge, negative, not a number, odd characters, option-like.</summary>
public static class ArgvValues
{
    /// <summary>
    /// Tried in any slot that takes them (<see cref="ArgvSlot.OddValues"/>). No NUL: no process can be given one in its argv.
    /// The longest stays under Linux's 128 KiB for one argument (MAX_ARG_STRLEN), the most a shell can pass.
    /// </summary>
    public static readonly string[] Odd =
    [
        "", " ", "\t", "-1", "0", "-0", "+1", " 7", "1.5", "1e9", "0x10", "1_000", "2147483648", "-2147483649", "99999999999999999999",
        "abc", "NaN", "Infinity", "null", "true", "１２", "٣", "é", "名前", "🔥", "\u200b", "\u202eevil", "\u2028", "a\nb", "\r", "\u001b[2J\u001b]0;pwned\u0007",
        "\u0001", "\u007f", "'", "\"", "\\", "\\x1B", "%00", "../..", "@file", "-", "--", "-m", "--json", "=", "a=b", "--reason=x",
        new string('a', 100_000), new string('9', 5_000), new string('é', 20_000),
    ];

    /// <summary>Tokens no command takes: an unknown option, a near miss of a real one, an option typed with a look-alike dash.</summary>
    public static readonly string[] Unknown =
    [
        "--bogus", "-Z", "--no-such-option", "--Reason", "--reason-", "---json", "\u2014reason", "\u2013m", "+x", "--jsn", "--\u00e9",
    ];

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
