namespace Lethe.Domain.Policies;

/// <summary>One line per event for the history table.</summary>
public static class EventSummary
{
    public static string Describe(object @event) => @event switch
    {
        PolicyCreated e => $"created policy {e.Policy}",
        ClientAdded e => $"added client {e.Client} ({string.Join(", ", e.Addresses)})",
        ClientRemoved e => $"removed client {e.Client}" + (e.Addresses is { } addresses ? $" ({string.Join(", ", addresses)})" : "") + e.RuleIds switch
        {
            null => "",
            [] => ", which had no rules",
            { } ids => $" and its {ids.Count} rule(s): {Ids(ids)}",
        },
        RuleAdded e => $"{e.Client}: added rule {e.RuleId} at {e.Position}: {e.Rule}",
        RuleRemoved e => $"{e.Client}: removed rule {e.RuleId}: {e.Rule}",
        RuleMoved e => $"{e.Client}: moved rule {e.RuleId} from {e.From} to {e.To}",
        RuleReplaced e => $"{e.Client}: replaced rule {e.RuleId}: {e.Before} -> {e.After}",
        RulesImported e => $"{e.Client}: imported {e.Rules.Count} rule(s) ({Ids(e.Rules.Select(r => r.Id).ToArray())})" + (!e.Replaced ? "" : e.ReplacedRuleIds switch
        {
            null => ", replacing all",
            [] => ", replacing all (it had none)",
            { } ids => $", replacing its {ids.Count} rule(s) ({Ids(ids)})",
        }),
        PolicyTestAdded e => $"added test {e.Test.Id}: {e.Test.Describe()}",
        PolicyTestRemoved e => $"removed test {e.TestId}" + (e.Test is { } test ? $": {test.Describe()}" : ""),
        PolicyPublished e => $"published version {e.Version} ({e.ContentSha256[..12]})" + (e.ConfirmBy is { } by ? $", to be confirmed by {by:u}" : ""),
        PublishConfirmed e => $"confirmed version {e.Version}",
        PublishReverted e => $"version {e.UnconfirmedVersion} not confirmed in time: published version {e.RestoredVersion}'s content as version {e.Version}",
        RevertAbandoned e => $"version {e.Version} not confirmed in time, but version {e.ToVersion} {e.Why}, so it cannot be restored: version {e.Version} stays, confirmed",
        PolicyRolledBack e => $"rolled back to version {e.ToVersion} as version {e.Version}",
        DraftRestored e => $"draft restored to version {e.ToVersion} (discarding unpublished changes)",
        _ => @event.GetType().Name,
    };

    /// <summary>
    /// One line per event of a policy's stream, in order, where a version signed with another key than the
    /// version before it says so: a republish after a key rotation seals the same content again and would
    /// otherwise read as any publish. <paramref name="sealedKeys"/> holds each version's key as its stored
    /// snapshot names it, for events recorded before they held their key. <paramref name="previousKey"/> is the key
    /// of the version sealed last before <paramref name="events"/>, when they are a later part of the stream (a page
    /// of the history), so that the first version among them is compared with it as the whole stream would.
    /// </summary>
    public static IReadOnlyList<string> DescribeAll(IReadOnlyList<object> events, IReadOnlyDictionary<int, string> sealedKeys, string? previousKey = null)
    {
        var lines = new string[events.Count];
        var previous = previousKey;
        for (var i = 0; i < events.Count; i++)
        {
            lines[i] = Describe(events[i]);
            if (Sealed(events[i]) is not { } made)
            {
                continue;
            }
            var key = made.KeyId ?? sealedKeys.GetValueOrDefault(made.Version);
            if (key is not null && previous is not null && key != previous)
            {
                lines[i] += $", signed with new key {key}";
            }
            // A version of unknown key is no baseline: the one after it is not called new.
            previous = key;
        }
        return lines;
    }

    /// <summary>The events <see cref="Sealed"/> gives a version for: those whose key <see cref="DescribeAll"/> compares.</summary>
    public static readonly Type[] SealingEvents = [typeof(PolicyPublished), typeof(PolicyRolledBack), typeof(PublishReverted)];

    /// <summary>The version an event sealed and the key it recorded (null when recorded before keys were), where it sealed one.</summary>
    public static (int Version, string? KeyId)? Sealed(object @event) => @event switch
    {
        PolicyPublished e => (e.Version, e.KeyId),
        PolicyRolledBack e => (e.Version, e.KeyId),
        PublishReverted e => (e.Version, e.KeyId),
        _ => null,
    };

    /// <summary>How many rule ids one line names: an import of thousands would bury the history.</summary>
    public const int IdsNamed = 20;

    private static string Ids(IReadOnlyList<string> ids) =>
        ids.Count <= IdsNamed ? string.Join(", ", ids) : $"{string.Join(", ", ids.Take(IdsNamed))} and {ids.Count - IdsNamed} more";

    /// <summary>The snapshot version an event made or confirmed, where there is one.</summary>
    public static int? VersionOf(object @event) => @event switch
    {
        PolicyPublished e => e.Version,
        PublishConfirmed e => e.Version,
        PublishReverted e => e.Version,
        RevertAbandoned e => e.Version,
        PolicyRolledBack e => e.Version,
        _ => null,
    };
}
