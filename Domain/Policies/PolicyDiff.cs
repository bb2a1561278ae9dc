namespace Lethe.Domain.Policies;

public sealed record RuleChange(string Id, string Rule, int? From, int? To, string? Before = null);

/// <param name="AddressesAdded">Addresses the client gained: they decide which packets are its, so they are part of what the firewall enforces.</param>
public sealed record ClientDiff(
    string Client,
    string Status,
    IReadOnlyList<RuleChange> Added,
    IReadOnlyList<RuleChange> Removed,
    IReadOnlyList<RuleChange> Moved,
    IReadOnlyList<RuleChange> Changed,
    IReadOnlyList<string> AddressesAdded,
    IReadOnlyList<string> AddressesRemoved)
{
    public bool IsEmpty => Status == "unchanged" &&
        Added.Count + Removed.Count + Moved.Count + Changed.Count + AddressesAdded.Count + AddressesRemoved.Count == 0;
}

/// <summary>Per client: addresses gained and lost, rules added, removed, moved (their order among the rules both sides keep changed) and changed in place.</summary>
public static class PolicyDiff
{
    public static IReadOnlyList<ClientDiff> Compare(DraftContent from, DraftContent to)
    {
        var names = from.Clients.Select(c => c.Name).Concat(to.Clients.Select(c => c.Name)).Distinct();
        var result = new List<ClientDiff>();
        foreach (var name in names)
        {
            var before = from.FindClient(name);
            var after = to.FindClient(name);
            var status = before is null ? "added" : after is null ? "removed" : "unchanged";
            var diff = CompareRules(name, status, before?.Rules ?? [], after?.Rules ?? []) with
            {
                AddressesAdded = (after?.Addresses ?? []).Except(before?.Addresses ?? []).ToArray(),
                AddressesRemoved = (before?.Addresses ?? []).Except(after?.Addresses ?? []).ToArray(),
            };
            if (!diff.IsEmpty)
            {
                result.Add(diff);
            }
        }
        return result;
    }

    private static ClientDiff CompareRules(string client, string status, IReadOnlyList<DraftRule> before, IReadOnlyList<DraftRule> after)
    {
        var beforeIds = before.Select(r => r.Id).ToList();
        var afterIds = after.Select(r => r.Id).ToList();
        var added = after.Where(r => !beforeIds.Contains(r.Id)).Select(r => new RuleChange(r.Id, r.Rule, null, afterIds.IndexOf(r.Id))).ToArray();
        var removed = before.Where(r => !afterIds.Contains(r.Id)).Select(r => new RuleChange(r.Id, r.Rule, beforeIds.IndexOf(r.Id), null)).ToArray();

        var keptBefore = before.Where(r => afterIds.Contains(r.Id)).Select(r => r.Id).ToList();
        var keptAfter = after.Where(r => beforeIds.Contains(r.Id)).Select(r => r.Id).ToList();
        var stayed = LongestCommonSubsequence(keptBefore, keptAfter);
        var moved = new List<RuleChange>();
        var changed = new List<RuleChange>();
        foreach (var rule in after.Where(r => beforeIds.Contains(r.Id)))
        {
            var old = before[beforeIds.IndexOf(rule.Id)];
            if (!stayed.Contains(rule.Id))
            {
                moved.Add(new RuleChange(rule.Id, rule.Rule, beforeIds.IndexOf(rule.Id), afterIds.IndexOf(rule.Id)));
            }
            if (old.Rule != rule.Rule)
            {
                changed.Add(new RuleChange(rule.Id, rule.Rule, beforeIds.IndexOf(rule.Id), afterIds.IndexOf(rule.Id), old.Rule));
            }
        }
        return new ClientDiff(client, status, added, removed, moved, changed, [], []);
    }

    // The rules that keep their relative order; the rest are the fewest that must have moved.
    private static HashSet<string> LongestCommonSubsequence(List<string> a, List<string> b)
    {
        var lengths = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lengths[i, j] = a[i] == b[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }
        var common = new HashSet<string>();
        for (int i = 0, j = 0; i < a.Count && j < b.Count;)
        {
            if (a[i] == b[j])
            {
                common.Add(a[i]);
                i++;
                j++;
            }
            else if (lengths[i + 1, j] >= lengths[i, j + 1])
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return common;
    }
}
