namespace Lethe.TestSupport.ArgvFuzz;

/// <summary>
/// Mutates a valid command line one way at a time (now and then two): a slot dropped, given twice, swapped
/// with another, given an odd value; an unknown token, or `--`, put in; an option's name dropped so its value
/// stands alone; the last command word misspelt. Each case says whether the program must refuse it.
/// </summary>
public static class ArgvMutations
{
    public static ArgvCase Apply(ArgvCommand seed, Random random)
    {
        var slots = seed.Slots.ToList();
        var words = seed.Words.ToArray();
        var extra = new List<(int At, string Token)>();
        var mutations = new List<string>();
        var invalid = false;
        var names = new List<string>();
        var rounds = random.Next(6) == 0 ? 2 : 1;
        for (var round = 0; round < rounds; round++)
        {
            var slot = slots.Count == 0 ? -1 : random.Next(slots.Count);
            switch (random.Next(12))
            {
                case 0 when slot >= 0 && !slots[slot].Keep:
                    {
                        var dropped = slots[slot];
                        slots.RemoveAt(slot);
                        mutations.Add($"drop {dropped.Name}");
                        // Of an option given more than once, the others remain.
                        if (dropped.Required && !slots.Any(s => s.Name == dropped.Name))
                        {
                            invalid = true;
                            names.AddRange([dropped.Name, .. dropped.Aliases ?? []]);
                        }
                        break;
                    }
                case 1 when slot >= 0 && slots[slot].IsOption:
                    {
                        var twice = slots[slot];
                        slots.Insert(random.Next(slots.Count + 1), twice);
                        mutations.Add($"twice {twice.Name}");
                        break;
                    }
                case 2 when slots.Count >= 2:
                    {
                        var other = random.Next(slots.Count);
                        (slots[slot], slots[other]) = (slots[other], slots[slot]);
                        mutations.Add($"swap {slots[other].Name} {slots[slot].Name}");
                        break;
                    }
                case 3 when slot >= 0 && slots[slot].IsOption && slots[slot].Value is not null && !seed.Variadic && !slots[slot].Keep:
                    {
                        // `--position 3` loses its name: 3 is an argument too many.
                        var orphan = slots[slot];
                        slots[slot] = orphan with { Name = "(value of " + orphan.Name + ")", Value = orphan.Value, Required = false };
                        mutations.Add($"orphan value of {orphan.Name}");
                        // Refused as an argument too many (named by its value), or for the option now missing.
                        names.Add(orphan.Value!);
                        if (orphan.Required && !slots.Any(s => s.Name == orphan.Name))
                        {
                            names.Add(orphan.Name);
                        }
                        break;
                    }
                case 4:
                    AddUnknown();
                    break;
                case 5:
                    {
                        // Everything after `--` is an argument: an option there is one too many.
                        // Judged once the slots are where they end up (a later swap may move an option past it).
                        var at = random.Next(slots.Count + 1);
                        extra.Add((at, "--"));
                        mutations.Add($"-- before slot {at}");
                        break;
                    }
                case 6 when random.Next(4) == 0:
                    {
                        var last = words.Length - 1;
                        var typo = words[last].Length > 1 ? words[last][..^1] + (char)(words[last][^1] == 'x' ? 'y' : 'x') : "x";
                        mutations.Add($"command {words[last]} -> {typo}");
                        words[last] = typo;
                        names.Add(typo);
                        break;
                    }
                default:
                    {
                        if (slot < 0 || slots[slot].Value is null)
                        {
                            AddUnknown();
                            break;
                        }
                        var target = slots[slot];
                        var pool = target.Pool ?? [];
                        var value = target.OddValues && (pool.Count == 0 || random.Next(3) == 0) ? random.Pick(ArgvValues.Odd) : random.Pick(pool);
                        if (value.Length > 0 && random.Next(8) == 0 && target.OddValues)
                        {
                            // A good value with something odd around it: a pasted blank, an escape, a look-alike.
                            value = random.Next(3) switch { 0 => target.Value + value, 1 => value + target.Value, _ => target.Value + " " };
                        }
                        slots[slot] = target with { Value = value, Mutated = true };
                        mutations.Add($"{target.Name} = {Shown(value)}");
                        if (target.Judge(value) == false)
                        {
                            // A refusal may name the slot, or quote the value itself when that says more than a blank or a digit.
                            // One that starts with '-' is read as an option (or as the end of options), and refused as whatever that leaves wrong.
                            names.AddRange(value.StartsWith('-') ? ["error: "]
                                : [target.Name, .. target.Aliases ?? [], .. value.Trim().Length >= 1 ? [value] : Array.Empty<string>()]);
                        }
                        break;
                    }
            }
        }
        void AddUnknown()
        {
            // Any token more is one too many; to a command that takes any number of rules, one that is no rule.
            var token = random.Pick(ArgvValues.Unknown);
            extra.Add((random.Next(slots.Count + 1), token));
            mutations.Add($"unknown {Shown(token)}");
            invalid = true;
            // A word that is no option (+x) takes the first argument's place, and the parser names the word left over.
            if (!seed.Variadic && token[0] is '-' or '\u2013' or '\u2014')
            {
                names.Add(token);
            }
        }

        var args = new List<string>(words);
        var tokens = slots.Select(s => s.Tokens.ToList()).ToList();
        for (var i = 0; i <= tokens.Count; i++)
        {
            // A slot dropped after a token was put in leaves fewer places: the token goes last then.
            foreach (var (_, token) in extra.Where(e => Math.Min(e.At, tokens.Count) == i))
            {
                args.Add(token);
            }
            if (i < tokens.Count)
            {
                args.AddRange(tokens[i]);
            }
        }
        // A value that starts as an option does ("--json", "-m") may be read as one, or "-" as stdin: what it does then is not the judge's.
        invalid |= slots.Any(s => s.Mutated && s.Value is not null && !s.Value.StartsWith("--", StringComparison.Ordinal) && s.Value is not ("-" or "-m")
            && s.Judge(s.Value) == false);
        invalid |= !seed.Variadic && extra.Any(e => e.Token == "--" && slots.Skip(e.At).Any(s => s.IsOption));
        // Judged as they end up: a second mutation may drop the value left alone, or misspell the command back.
        // A value left alone that a second mutation made one that starts as an option does is no argument too many: read as an
        // option (as above, not the judge's), or, as "--", the end of options, wrong only with an option after it as a "--" put in is.
        invalid |= slots.Any(s => s.Name.StartsWith("(value of ", StringComparison.Ordinal) && !StartsAsOption(s)) || !words.SequenceEqual(seed.Words);
        invalid |= !seed.Variadic && slots.Select((s, i) => (s, i)).Any(o => o.s.Name.StartsWith("(value of ", StringComparison.Ordinal) && o.s.Value == "--"
            && slots.Skip(o.i + 1).Any(s => s.IsOption));
        // Of two faults a refusal may name the one it met first, which need not be one a judge was sure of.
        return new ArgvCase(seed, [.. args], string.Join("; ", mutations), invalid, rounds == 1 ? names : []);
    }

    private static bool StartsAsOption(ArgvSlot slot) =>
        slot.Mutated && slot.Value is not null && (slot.Value.StartsWith("--", StringComparison.Ordinal) || slot.Value is "-" or "-m");

    /// <summary>A value as a report shows it: control characters and anything outside ASCII escaped, a long one cut.</summary>
    public static string Shown(string value)
    {
        var text = string.Concat(value.Take(60).Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
        return value.Length > 60 ? $"'{text}...' ({value.Length} chars)" : $"'{text}'";
    }
}
