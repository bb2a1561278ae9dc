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
        int version;
        if (query.Version == "latest")
        {
            var policy = await store.Load(query.Policy, ct) ?? throw new DomainException(Refusal.NotFound, $"There is no policy named {query.Policy}.");
            version = policy.Publishing.LatestVersion;
            if (version == 0)
            {
                throw new DomainException(Refusal.NotFound, $"Policy {query.Policy} has not been published yet.");
            }
        }
        else
        {
            version = int.Parse(query.Version, System.Globalization.CultureInfo.InvariantCulture);
        }
        var snapshot = await store.Snapshot(query.Policy, version, ct)
            ?? throw new DomainException(Refusal.NotFound, $"Policy {query.Policy} has no version {version}.");
        return snapshot.Sealed;
    }
}
