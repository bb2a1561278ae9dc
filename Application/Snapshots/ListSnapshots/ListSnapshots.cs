using Lethe.Application.Common;
using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.Snapshots.ListSnapshots;

public sealed record ListSnapshots(string Policy) : IQuery<IReadOnlyList<SnapshotSummary>>;

public sealed class ListSnapshotsHandler(IPolicyStore store) : IQueryHandler<ListSnapshots, IReadOnlyList<SnapshotSummary>>
{
    public async ValueTask<IReadOnlyList<SnapshotSummary>> Handle(ListSnapshots query, CancellationToken ct)
    {
        var snapshots = await store.Snapshots(query.Policy, ct);
        // An empty list is also what a policy never published has; only a policy that does not exist is a 404.
        if (snapshots.Count == 0 && await store.LatestVersion(query.Policy, ct) is null)
        {
            throw UnknownPolicy.Named(query.Policy);
        }
        return snapshots;
    }
}
