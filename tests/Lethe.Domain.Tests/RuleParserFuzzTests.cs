using Lethe.Domain.Rules;

namespace Lethe.Domain.Tests;

/// <summary>
/// Rule text is what users type and import, so the parser is fuzzed with seeded valid and mutated rules
/// (<see cref="RuleMutations"/>). What a user relies on: a rule either parses or is refused with
/// <see cref="RuleFormatException"/> naming a key and saying why in plain printable ASCII (a control character or
/// one outside ASCII is named by its code point, never echoed); a parsed rule's canonical text reads back as the
/// same rule and the same text, a megabyte of it too.
/// LETHE_RULE_FUZZ_ITERATIONS runs more cases off CI (the default keeps the class to about a second), and
/// LETHE_RULE_FUZZ_SEED other ones (a failure names the case's number under that seed).
/// </summary>
public class RuleParserFuzzTests
{
    private static readonly int Iterations =
        int.TryParse(Environment.GetEnvironmentVariable("LETHE_RULE_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 40_000;

    /// <summary>The seed given off CI, or the fixed one CI runs with.</summary>
    internal static int Seed(int fixedSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable("LETHE_RULE_FUZZ_SEED"), out var seed) ? seed : fixedSeed;

    private static readonly HashSet<string> Keys = [.. RuleMutations.Keys, "rule"];

    [Fact]
    public void every_generated_valid_rule_parses_to_what_it_means()
    {
        var random = new Random(Seed(20261202));
        var failures = new List<string>();
        for (var i = 0; i < Iterations / 4 && failures.Count < 5; i++)
        {
            var (text, meant) = RuleMutations.Valid(random);
            if (!RuleParser.TryParse(text, RuleMutations.Now, out var rule, out var error))
            {
                failures.Add($"'{text}' was refused: {error.Key}: {error.Message}");
            }
            else if (rule != meant)
            {
                failures.Add($"'{text}' parsed as '{rule}', meant '{meant}'");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void a_mutated_rule_parses_to_a_rule_that_reads_back_the_same_or_is_refused_naming_a_key_in_plain_words()
    {
        var random = new Random(Seed(1202));
        var failures = new List<string>();
        int parsed = 0, refused = 0;
        for (var i = 0; i < Iterations && failures.Count < 5; i++)
        {
            var text = RuleMutations.Mutated(random);
            if (Check(text, ref parsed, ref refused) is { } failure)
            {
                failures.Add($"case {i}: {Shown(text)}\n  {failure}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Both outcomes must be common, or the mutations test only one side of the parser.
        Assert.True(parsed > Iterations / 20 && refused > Iterations / 2, $"{parsed} parsed, {refused} refused");
    }

    /// <summary>The bounds of every kind of input, at a megabyte.</summary>
    [Theory]
    [InlineData("action=", "a", "")]
    [InlineData("action=accept comment=", "x", "")]
    [InlineData("action=accept comment=", "x", "=")]
    [InlineData("action=accept comment=", " ", "")]
    [InlineData("", " ", "action=accept")]
    [InlineData("action=accept", " ", "")]
    [InlineData("action=accept", " dpi=NO", "")]
    [InlineData("", "a=b ", "action=accept")]
    [InlineData("action=accept dsthost=", "a.", "b")]
    [InlineData("action=accept dsthost=", "a", "")]
    [InlineData("action=accept dsthost=", "1:", ":")]
    [InlineData("action=accept dst6=", "1:", ":/64")]
    [InlineData("action=accept dst4=", "1.", "1")]
    [InlineData("action=accept dst4=1.2.3.4/", "0", "")]
    [InlineData("action=accept expire=+", "9", "")]
    [InlineData("action=accept proto=tcp dstports=", "9", "-1")]
    [InlineData("action=accept proto=icmp icmptype=", "0", "")]
    [InlineData("action=accept ", "\u00a0", "")]
    [InlineData("action=accept ", "\x1b", "")]
    [InlineData("action=accept ", "\ud800", "")]
    [InlineData("action=accept comment=", "\U0001F600", "")]
    public void a_megabyte_of_input_is_parsed_or_refused_as_any_other(string before, string repeated, string after)
    {
        // How long it takes is bench work, not a test's: this holds the parser to its promises at the size bounds.
        var text = before + string.Concat(Enumerable.Repeat(repeated, (1 << 20) / repeated.Length)) + after;

        int parsed = 0, refused = 0;
        Assert.Null(Check(text, ref parsed, ref refused));
        Assert.Equal(1, parsed + refused);
    }

    /// <summary>Null when the parser kept every promise for this text; otherwise what it broke.</summary>
    private static string? Check(string text, ref int parsed, ref int refused)
    {
        bool ok;
        Rule? rule;
        RuleError? error;
        try
        {
            ok = RuleParser.TryParse(text, RuleMutations.Now, out rule, out error);
        }
        catch (Exception e)
        {
            return $"TryParse threw {e.GetType().Name}: {e.Message}";
        }
        try
        {
            var thrown = RuleParser.Parse(text, RuleMutations.Now);
            if (!ok || thrown != rule)
            {
                return $"Parse answered '{thrown}' where TryParse answered {(ok ? $"'{rule}'" : "an error")}";
            }
        }
        catch (RuleFormatException e)
        {
            if (ok || e.Key != error!.Key || e.Message != error.Message)
            {
                return $"Parse refused ({e.Key}: {e.Message}) where TryParse answered {(ok ? $"'{rule}'" : $"({error!.Key}: {error.Message})")}";
            }
        }
        catch (Exception e)
        {
            return $"Parse threw {e.GetType().Name}: {e.Message}";
        }

        if (!ok)
        {
            refused++;
            return Refusal(text, error!);
        }
        parsed++;
        return Reading(text, rule!);
    }

    private static string? Refusal(string text, RuleError error)
    {
        if (error.Message.Length == 0)
        {
            return $"refused under '{error.Key}' with an empty message";
        }
        // The field a refusal is reported under (rule.KEY, line N.KEY): a key the format has, "rule", or an unknown
        // key the user typed, which the message names as such.
        if (!Keys.Contains(error.Key) &&
            !(error.Key.Length > 0 && IsPrintableAscii(error.Key) && !error.Key.Contains(' ') && !error.Key.Contains('=')
              && text.Contains(error.Key + "=", StringComparison.Ordinal) && error.Message.StartsWith($"unknown key '{error.Key}'", StringComparison.Ordinal)))
        {
            return $"refused under the key '{Shown(error.Key)}', which is no key: {Shown(error.Message)}";
        }
        if (!IsPrintableAscii(error.Message))
        {
            return $"the message echoes a character that is not printable ASCII: {Shown(error.Message)}";
        }
        return null;
    }

    private static string? Reading(string text, Rule rule)
    {
        // What parses is plain ASCII: nothing outside it, no control character, survives into a stored rule.
        if (!IsPrintableAscii(text))
        {
            return $"parsed as '{rule}' though it holds a character that is not printable ASCII";
        }
        var canonical = rule.ToString();
        if (!IsPrintableAscii(canonical))
        {
            return $"canonical form '{Shown(canonical)}' is not printable ASCII";
        }
        // Stored text is read back at other times (a sealed snapshot reads it with now = 0): it must mean the same then.
        foreach (var now in new[] { RuleMutations.Now, 0L, RuleMutations.Now + 86_400 })
        {
            if (!RuleParser.TryParse(canonical, now, out var again, out var error))
            {
                return $"parsed as '{canonical}', which is then refused: {error.Key}: {error.Message}";
            }
            if (again != rule || again.ToString() != canonical)
            {
                return $"parsed as '{canonical}', which reads back as '{again}'";
            }
        }
        if (rule.Network is not null && rule.Host is not null
            || rule.Ports is not null && rule.Protocol is not (RuleProtocol.Tcp or RuleProtocol.Udp)
            || rule.IcmpType is not null && rule.Protocol != RuleProtocol.Icmp
            || rule.DnsTarget && rule.Protocol == RuleProtocol.Icmp
            || rule.Expire is > RuleMutations.MaxExpire or < 0)
        {
            return $"parsed as '{canonical}', a rule the format does not allow";
        }
        return null;
    }

    private static bool IsPrintableAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A case as the failure message shows it: escaped, and cut short when long.</summary>
    private static string Shown(string text) =>
        TerminalText.Safe(text.Length > 300 ? text[..300] + $"... ({text.Length} characters)" : text)
            .Replace("\u00a0", "\\u00A0", StringComparison.Ordinal);
}
