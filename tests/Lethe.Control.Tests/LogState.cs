using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>What a refused command must not touch: every policy event, every sealed snapshot, and the draft as the API shows it.</summary>
internal sealed record LogState(long Events, long Snapshots, string Draft)
{
    public static async Task<LogState> Of(ControlPlaneHost host, string policy)
    {
        var events = await host.Database.Count(TestDatabase.PolicyEventCount);
        var snapshots = await host.Database.Count("select count(*) from lethe.mt_doc_snapshotdocument");
        using var viewer = host.Client(ControlPlaneHost.ViewerToken);
        var draft = await viewer.GetStringAsync($"/policies/{policy}");
        return new LogState(events, snapshots, draft);
    }
}
