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
    /// <summary>What <see cref="Status"/> says of the client: only the newer side has it, only the older one, or both.</summary>
    public const string ClientAdded = "added", ClientRemoved = "removed", ClientUnchanged = "unchanged";

    public static readonly IReadOnlyList<string> Statuses = [ClientAdded, ClientRemoved, ClientUnchanged];

    /// <summary>Policy tests of this client one side has and the other lacks (a test changed under its id is both).</summary>
    /// <remarks>They are part of a version: a rollback brings back its tests and drops the others.</remarks>
    public IReadOnlyList<PolicyTest> TestsAdded { get; init; } = [];

    public IReadOnlyList<PolicyTest> TestsRemoved { get; init; } = [];

    /// <summary>
    /// The client's places among the clients, 0-based, before and after, when its order among the clients both
    /// sides keep changed (as a client removed and added back lands last); null otherwise. The order is part
    /// of the signed content, so a version that differs only there has another hash.
    /// </summary>
    public int? MovedFrom { get; init; }

    public int? MovedTo { get; init; }

    /// <summary>
    /// The client's addresses before and after when both sides hold the same ones in another order (as a
    /// client added back with its addresses given in another order); null otherwise. Their order is
    /// sealed too, so a version that differs only there has another hash.
    /// </summary>
    public IReadOnlyList<string>? AddressOrderBefore { get; init; }

    public IReadOnlyList<string>? AddressOrderAfter { get; init; }

    public bool IsEmpty => Status == ClientUnchanged && MovedFrom is null && AddressOrderBefore is null &&
        Added.Count + Removed.Count + Moved.Count + Changed.Count + AddressesAdded.Count + AddressesRemoved.Count
        + TestsAdded.Count + TestsRemoved.Count == 0;
}

/// <summary>
/// Per client: addresses gained and lost, rules added, removed, moved (their order among the rules
/// both sides keep changed) and changed in place, policy tests added and removed, and a move among
/// the clients (their order among the clients both sides keep changed).
/// </summary>
public static class PolicyDiff
{
    public static IReadOnlyList<ClientDiff> Compare(DraftContent from, DraftContent to)
    {
        var names = from.Clients.Select(c => c.Name).Concat(to.Clients.Select(c => c.Name))
            .Concat(from.Tests.Select(t => t.Client)).Concat(to.Tests.Select(t => t.Client)).Distinct();
        // Looked up by name once per side: a policy may hold 65,536 clients, and a scan per name would be quadratic.
        var (clientsBefore, clientsAfter) = (ByName(from), ByName(to));
        var (testsBefore, testsAfter) = (from.Tests.ToLookup(t => t.Client, StringComparer.Ordinal), to.Tests.ToLookup(t => t.Client, StringComparer.Ordinal));
        var clientMoves = MovedClients(from, to);
        var result = new List<ClientDiff>();
        foreach (var name in names)
        {
            var before = clientsBefore.GetValueOrDefault(name);
            var after = clientsAfter.GetValueOrDefault(name);
            var status = before is null ? ClientDiff.ClientAdded : after is null ? ClientDiff.ClientRemoved : ClientDiff.ClientUnchanged;
            var diff = CompareRules(name, status, before?.Rules ?? [], after?.Rules ?? []) with
            {
                AddressesAdded = (after?.Addresses ?? []).Except(before?.Addresses ?? []).ToArray(),
                AddressesRemoved = (before?.Addresses ?? []).Except(after?.Addresses ?? []).ToArray(),
                TestsAdded = testsAfter[name].Except(testsBefore[name]).ToArray(),
                TestsRemoved = testsBefore[name].Except(testsAfter[name]).ToArray(),
                MovedFrom = clientMoves.TryGetValue(name, out var move) ? move.From : null,
                MovedTo = clientMoves.TryGetValue(name, out move) ? move.To : null,
            };
            if (Reordered(before?.Addresses, after?.Addresses))
            {
                diff = diff with { AddressOrderBefore = before!.Addresses, AddressOrderAfter = after!.Addresses };
            }
            if (!diff.IsEmpty)
            {
                result.Add(diff);
            }
        }
        return result;
    }

    /// <summary>Whether both sides hold the same addresses, in another order.</summary>
    private static bool Reordered(IReadOnlyList<string>? before, IReadOnlyList<string>? after) =>
        before is not null && after is not null && !before.SequenceEqual(after, StringComparer.Ordinal)
        && before.Count == after.Count && before.ToHashSet(StringComparer.Ordinal).SetEquals(after);

    /// <summary>The clients both sides hold that changed places among them, as rules are judged moved.</summary>
    private static Dictionary<string, (int From, int To)> MovedClients(DraftContent from, DraftContent to)
    {
        var before = Positions(from.Clients.Select(c => c.Name).ToArray());
        var after = Positions(to.Clients.Select(c => c.Name).ToArray());
        var kept = new List<(int Before, int After)>();
        var names = new List<string>();
        foreach (var (name, at) in after.OrderBy(a => a.Value))
        {
            if (before.TryGetValue(name, out var was))
            {
                kept.Add((was, at));
                names.Add(name);
            }
        }
        var stayed = LongestIncreasingRun(kept);
        var moved = new Dictionary<string, (int From, int To)>(StringComparer.Ordinal);
        for (var k = 0; k < kept.Count; k++)
        {
            if (!stayed[k])
            {
                moved[names[k]] = (kept[k].Before, kept[k].After);
            }
        }
        return moved;
    }

    /// <summary>The first client of each name, as <see cref="DraftContent.FindClient"/> finds it.</summary>
    private static Dictionary<string, ClientDraft> ByName(DraftContent content)
    {
        var clients = new Dictionary<string, ClientDraft>(content.Clients.Count, StringComparer.Ordinal);
        foreach (var client in content.Clients)
        {
            clients.TryAdd(client.Name, client);
        }
        return clients;
    }

    private static ClientDiff CompareRules(string client, string status, IReadOnlyList<DraftRule> before, IReadOnlyList<DraftRule> after)
    {
        var beforeAt = Positions(before.Select(r => r.Id).ToArray());
        var afterAt = Positions(after.Select(r => r.Id).ToArray());
        var added = new List<RuleChange>();
        var kept = new List<(DraftRule Rule, int Before, int After)>();
        for (var i = 0; i < after.Count; i++)
        {
            if (beforeAt.TryGetValue(after[i].Id, out var was))
            {
                kept.Add((after[i], was, i));
            }
            else
            {
                added.Add(new RuleChange(after[i].Id, after[i].Rule, null, i));
            }
        }
        var removed = new List<RuleChange>();
        for (var i = 0; i < before.Count; i++)
        {
            if (!afterAt.ContainsKey(before[i].Id))
            {
                removed.Add(new RuleChange(before[i].Id, before[i].Rule, i, null));
            }
        }

        var stayed = LongestIncreasingRun(kept.Select(k => (k.Before, k.After)).ToArray());
        var moved = new List<RuleChange>();
        var changed = new List<RuleChange>();
        for (var k = 0; k < kept.Count; k++)
        {
            var (rule, was, now) = kept[k];
            if (!stayed[k])
            {
                moved.Add(new RuleChange(rule.Id, rule.Rule, was, now));
            }
            var old = before[was];
            if (old.Rule != rule.Rule)
            {
                changed.Add(new RuleChange(rule.Id, rule.Rule, was, now, old.Rule));
            }
        }
        return new ClientDiff(client, status, [.. added], [.. removed], moved, changed, [], []);
    }

    /// <summary>Each id's first place.</summary>
    private static Dictionary<string, int> Positions(IReadOnlyList<string> ids)
    {
        var positions = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            positions.TryAdd(ids[i], i);
        }
        return positions;
    }

    /// <summary>
    /// Which of the kept rules (or clients) keep their relative order: a longest increasing run of their old
    /// positions, taken in their new order; the rest are the fewest that must have moved. Among runs
    /// of that length, the one holding the most rules at the same index on both sides: a rule that kept
    /// its place is not named as moved while one that changed places goes unnamed (three rules
    /// reversed: the middle one stayed).
    /// </summary>
    /// <remarks>
    /// The kept ids are the same set on both sides, so this is their longest common subsequence, found
    /// in n log n time and linear memory (a prefix-maximum tree over the old positions): a table of
    /// both lengths would take gigabytes for a policy of tens of thousands of rules.
    /// </remarks>
    private static bool[] LongestIncreasingRun(IReadOnlyList<(int Before, int After)> kept)
    {
        var size = 1;
        foreach (var k in kept)
        {
            size = Math.Max(size, k.Before + 2);
        }
        // best[i]: the best run ending at an old position below i, as (length, rules in place, its last index).
        var best = new (int Length, int InPlace, int Last)[size + 1];
        Array.Fill(best, (0, 0, -1));
        var previous = new int[kept.Count];
        var overall = (Length: 0, InPlace: 0, Last: -1);
        for (var k = 0; k < kept.Count; k++)
        {
            var found = (Length: 0, InPlace: 0, Last: -1);
            for (var i = kept[k].Before; i > 0; i -= i & -i)
            {
                if (Better(best[i], found))
                {
                    found = best[i];
                }
            }
            previous[k] = found.Last;
            var run = (Length: found.Length + 1, InPlace: found.InPlace + (kept[k].Before == kept[k].After ? 1 : 0), Last: k);
            for (var i = kept[k].Before + 1; i <= size; i += i & -i)
            {
                if (Better(run, best[i]))
                {
                    best[i] = run;
                }
            }
            if (Better(run, overall))
            {
                overall = run;
            }
        }
        var stays = new bool[kept.Count];
        for (var k = overall.Last; k >= 0; k = previous[k])
        {
            stays[k] = true;
        }
        return stays;

        static bool Better((int Length, int InPlace, int Last) a, (int Length, int InPlace, int Last) b) =>
            a.Length > b.Length || (a.Length == b.Length && a.InPlace > b.InPlace);
    }
}
