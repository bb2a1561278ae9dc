using Lethe.Domain.Rules;

namespace Lethe.Domain.Evaluation;

/// <summary>The verdict for a new flow, the rule that decided it (null for the default drop) and why.</summary>
public sealed record Decision(RuleAction Action, string? RuleId, string Reason)
{
    public const string NoRuleMatched = "no rule matched";

    public bool Accepts => Action == RuleAction.Accept;
}
