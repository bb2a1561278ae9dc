using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Snapshots;
using Mediator;

namespace Lethe.Application.Snapshots.ListSnapshots;

public sealed record ListSnapshots(string Policy) : IQuery<IReadOnlyList<SealedSnapshot>>;

public sealed class ListSnapshotsHandler(IPolicyStore store) : IQueryHandler<ListSnapshots, IReadOnlyList<SealedSnapshot>>
{
    public async ValueTask<IReadOnlyList<SealedSnapshot>> Handle(ListSnapshots query, CancellationToken ct)
    {
        var snapshots = await store.Snapshots(query.Policy, ct);
        // An empty list is also what a policy never published has; only a policy that does not exist is a 404.
        if (snapshots.Count == 0 && await store.Load(query.Policy, ct) is null)
        {
            throw new DomainException(Refusal.NotFound, $"There is no policy named {query.Policy}.");
        }
        return snapshots;
    }
}
