namespace Lethe.Domain.Policies;

/// <summary>One line per event for the history table.</summary>
public static class EventSummary
{
    public static string Describe(object @event) => @event switch
    {
        PolicyCreated e => $"created policy {e.Policy}",
        ClientAdded e => $"added client {e.Client} ({string.Join(", ", e.Addresses)})",
        ClientRemoved e => $"removed client {e.Client}",
        RuleAdded e => $"{e.Client}: added rule {e.RuleId} at {e.Position}: {e.Rule}",
        RuleRemoved e => $"{e.Client}: removed rule {e.RuleId}: {e.Rule}",
        RuleMoved e => $"{e.Client}: moved rule {e.RuleId} from {e.From} to {e.To}",
        RuleReplaced e => $"{e.Client}: replaced rule {e.RuleId}: {e.Before} -> {e.After}",
        RulesImported e => $"{e.Client}: imported {e.Rules.Count} rule(s){(e.Replaced ? ", replacing all" : "")}",
        PolicyTestAdded e => $"added test {e.Test.Id}: {e.Test.Describe()}",
        PolicyTestRemoved e => $"removed test {e.TestId}",
        PolicyPublished e => $"published version {e.Version} ({e.ContentSha256[..12]})" + (e.ConfirmBy is { } by ? $", to be confirmed by {by:u}" : ""),
        PublishConfirmed e => $"confirmed version {e.Version}",
        PublishReverted e => $"version {e.UnconfirmedVersion} not confirmed in time: published version {e.RestoredVersion}'s content as version {e.Version}",
        RevertAbandoned e => $"version {e.Version} not confirmed in time, but version {e.ToVersion} {e.Why}, so it cannot be restored: version {e.Version} stays, confirmed",
        PolicyRolledBack e => $"rolled back to version {e.ToVersion} as version {e.Version}",
        _ => @event.GetType().Name,
    };

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
