using Lethe.Application.Ports;
using Lethe.Domain;
using Mediator;

namespace Lethe.Application.Snapshots.GetSnapshotSummary;

/// <summary>Which sealed version a request names, and its hash, without reading its content: enough to answer a poll with 304.</summary>
/// <param name="Version">A version number or "latest".</param>
public sealed record GetSnapshotSummary(string Policy, string Version) : IQuery<SnapshotSummary>;

public sealed class GetSnapshotSummaryHandler(IPolicyStore store) : IQueryHandler<GetSnapshotSummary, SnapshotSummary>
{
    public async ValueTask<SnapshotSummary> Handle(GetSnapshotSummary query, CancellationToken ct)
    {
        var version = await SnapshotVersion.Resolve(store, query.Policy, query.Version, ct);
        return await store.SnapshotSummary(query.Policy, version, ct)
            ?? throw await SnapshotVersion.Missing(store, query.Policy, version, ct);
    }
}
