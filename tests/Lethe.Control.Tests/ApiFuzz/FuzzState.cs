using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>
/// Everything a refused request must leave as it was: every event, every sealed snapshot, the policy as
/// GET answers it (body and ETag) and the list of policies (a refused create adds none).
/// </summary>
internal sealed record FuzzState(long Events, long Snapshots, string Draft, string? ETag, string Policies)
{
    public static async Task<FuzzState> Of(ControlPlaneHost host, HttpClient viewer, string policy)
    {
        var events = await host.Database.Count(TestDatabase.PolicyEventCount);
        var snapshots = await host.Database.Count("select count(*) from lethe.mt_doc_snapshotdocument");
        using var draft = await viewer.GetAsync($"/policies/{policy}");
        var policies = await viewer.GetStringAsync("/policies");
        return new FuzzState(events, snapshots, await draft.Content.ReadAsStringAsync(), draft.Headers.ETag?.Tag, policies);
    }

    /// <summary>What differs, for the report; empty when nothing does.</summary>
    public string Differences(FuzzState after)
    {
        var differences = new List<string>();
        if (Events != after.Events) differences.Add($"events {Events} -> {after.Events}");
        if (Snapshots != after.Snapshots) differences.Add($"snapshots {Snapshots} -> {after.Snapshots}");
        if (ETag != after.ETag) differences.Add($"ETag {ETag} -> {after.ETag}");
        if (Draft != after.Draft) differences.Add("GET of the policy answers differently");
        if (Policies != after.Policies) differences.Add("GET /policies answers differently");
        return string.Join(", ", differences);
    }
}
