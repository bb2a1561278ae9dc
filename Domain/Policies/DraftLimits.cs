using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Policies;

/// <summary>
/// The limits a publish enforces (<see cref="SnapshotLimits"/>), enforced on the edits that add rules or
/// clients, so that a draft never grows into one no version can be published from; and a client's count of
/// policy tests (<see cref="PolicyTest.MaxPerClient"/>), checked when one is added. Edits that only take
/// away are not checked: a draft beyond a limit, from a log written before these checks, can still be
/// brought back within it.
/// </summary>
internal static class DraftLimits
{
    /// <param name="edit">What would add the rules, the subject of the sentence: "Adding the rule", "The import".</param>
    /// <exception cref="DomainException">Unprocessable (422), naming the client, the count and the limit.</exception>
    public static void RequireRoomForRules(string policy, string client, int reached, string edit)
    {
        if (reached > SnapshotLimits.MaxRulesPerClient)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"{edit} would give client {client} of policy {policy} {reached} rules; a firewall takes at most {SnapshotLimits.MaxRulesPerClient} per client " +
                "(its tables for a client grow with the square of the client's rules), so no version could be published. " +
                "Nothing was changed: remove rules, or merge rules into networks.");
        }
    }

    /// <exception cref="DomainException">Unprocessable (422), naming the client, the count and the limit.</exception>
    public static void RequireRoomForTests(string policy, string client, int reached)
    {
        if (reached > PolicyTest.MaxPerClient)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"Adding the test would give client {client} of policy {policy} {reached:N0} tests; a client has at most {PolicyTest.MaxPerClient:N0} " +
                "(every publish runs each of them against the client's rules). Nothing was changed: remove a test first.");
        }
    }

    /// <exception cref="DomainException">Unprocessable (422), naming the count and the limit.</exception>
    public static void RequireRoomForClients(string policy, int reached, string edit)
    {
        if (reached > SnapshotLimits.MaxClients)
        {
            throw new DomainException(Refusal.Unprocessable,
                $"{edit} would give policy {policy} {reached} clients; a firewall tells at most {SnapshotLimits.MaxClients} apart, so no version could be published. " +
                "Nothing was changed.");
        }
    }

    /// <summary>A whole draft put in place of the current one (a restore): every client of it must be within the limits.</summary>
    public static void RequireWithin(string policy, DraftContent draft, string edit)
    {
        RequireRoomForClients(policy, draft.Clients.Count, edit);
        foreach (var client in draft.Clients)
        {
            RequireRoomForRules(policy, client.Name, client.Rules.Count, edit);
        }
    }
}
