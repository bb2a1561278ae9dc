using Lethe.Domain.Rules;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Classification;

/// <summary>
/// The classifier's answer for the first packet of a new flow.
/// <paramref name="RuleIndex"/> is the index, in the client's rule list, of the rule that decided
/// (-1 for the default drop). <paramref name="Reason"/> is <see cref="DropReason.None"/> for an
/// accept, <see cref="DropReason.RuleDrop"/> / <see cref="DropReason.RuleReject"/> for a deciding
/// drop / reject rule, <see cref="DropReason.NoRuleMatched"/> for the default drop,
/// <see cref="DropReason.ClientIsolated"/> for the default drop of a packet addressed to another
/// client, and <see cref="DropReason.DsthostUnresolved"/> when an unresolved dsthost drop/reject
/// rule blocks the whole client (the action is then <see cref="RuleAction.Drop"/>, as in the
/// reference evaluator, and <paramref name="RuleIndex"/> is that rule).
/// </summary>
public readonly record struct Verdict(RuleAction Action, int RuleIndex, DropReason Reason)
{
    public bool Accepts => Action == RuleAction.Accept;

    /// <summary>The default drop: no rule decided.</summary>
    public bool IsDefault => RuleIndex < 0;
}
