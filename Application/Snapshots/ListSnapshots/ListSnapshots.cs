using Lethe.Application.Ports;
using Lethe.Domain.Snapshots;
using Mediator;

namespace Lethe.Application.Snapshots.ListSnapshots;

public sealed record ListSnapshots(string Policy) : IQuery<IReadOnlyList<SealedSnapshot>>;

public sealed class ListSnapshotsHandler(IPolicyStore store) : IQueryHandler<ListSnapshots, IReadOnlyList<SealedSnapshot>>
{
    public async ValueTask<IReadOnlyList<SealedSnapshot>> Handle(ListSnapshots query, CancellationToken ct) => await store.Snapshots(query.Policy, ct);
}
