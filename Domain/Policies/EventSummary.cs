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
