namespace Lethe.Domain.Rules;

public enum RuleAction
{
    Accept,
    Drop,
    /// <summary>Lethe's addition: TCP RST or ICMP administratively prohibited, always answered.</summary>
    Reject,
}
