using Lethe.Domain.Rules;

namespace Lethe.Domain.Tests;

/// <summary>Parses rule strings the way the control plane does, at a fixed "now".</summary>
internal static class RuleText
{
    public const long Now = 1_700_000_000;

    public static Rule Parse(string text) => RuleParser.Parse(text, Now);

    public static string Canonical(string text) => Parse(text).ToString();

    public static RuleError ErrorFor(string text)
    {
        Assert.False(RuleParser.TryParse(text, Now, out var rule, out var error), $"'{text}' parsed as '{rule}'");
        var thrown = Assert.Throws<RuleFormatException>(() => RuleParser.Parse(text, Now));
        Assert.Equal(error.Key, thrown.Key);
        Assert.Equal(error.Message, thrown.Message);
        return error;
    }
}
