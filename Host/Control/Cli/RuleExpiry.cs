using Lethe.Domain.Rules;

namespace Lethe.Control.Cli;

/// <summary>
/// What `show` prints under a rule with <c>expire</c>: a rule whose expiry has passed stays in the
/// draft matching nothing until someone removes it, and its text alone does not say it is dead.
/// </summary>
public static class RuleExpiry
{
    /// <summary>
    /// "expired ...: matches nothing ..." when the expiry is at or before <paramref name="asOf"/> (a rule
    /// matches while the clock is before it, as the firewall judges it), "expires ..." when it is later,
    /// null for a rule without one or a text that is no rule (another server's answer: printed as sent).
    /// </summary>
    public static string? Note(string ruleText, DateTimeOffset asOf)
    {
        // The stored form is absolute; a relative one (no control plane stores it) would be read from asOf.
        // Whole seconds at or before the moment (ToUnixTimeSeconds drops the fraction, before 1970 too):
        // 0.5 s before an expiry is still before it.
        var now = asOf.ToUnixTimeSeconds();
        if (!RuleParser.TryParse(ruleText, now, out var rule, out _) || rule.Expire is not { } expire)
        {
            return null;
        }
        var when = CliTime.Format(DateTimeOffset.FromUnixTimeSeconds(expire));
        return rule.IsExpiredAt(now) ? $"expired {when}: matches nothing until `lethe rule remove`" : $"expires {when}";
    }
}
