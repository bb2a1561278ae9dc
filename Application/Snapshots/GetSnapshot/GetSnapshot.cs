using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Snapshots;
using Mediator;

namespace Lethe.Application.Snapshots.GetSnapshot;

/// <param name="Version">A version number or "latest".</param>
public sealed record GetSnapshot(string Policy, string Version) : IQuery<SealedSnapshot>;

public sealed class GetSnapshotHandler(IPolicyStore store) : IQueryHandler<GetSnapshot, SealedSnapshot>
{
    public async ValueTask<SealedSnapshot> Handle(GetSnapshot query, CancellationToken ct)
    {
        var version = await SnapshotVersion.Resolve(store, query.Policy, query.Version, ct);
        var snapshot = await store.Snapshot(query.Policy, version, ct)
            ?? throw await SnapshotVersion.Missing(store, query.Policy, version, ct);
        return snapshot.Sealed;
    }
}
