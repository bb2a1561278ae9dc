using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Diff.GetDiff;

/// <param name="From">A version number or "draft".</param>
/// <param name="To">A version number or "draft".</param>
public sealed record GetDiff(string Policy, string From, string To) : IQuery<IReadOnlyList<ClientDiff>>;

public sealed class GetDiffHandler(IPolicyStore store) : IQueryHandler<GetDiff, IReadOnlyList<ClientDiff>>
{
    public async ValueTask<IReadOnlyList<ClientDiff>> Handle(GetDiff query, CancellationToken ct) =>
        PolicyDiff.Compare(await Content(query.Policy, query.From, ct), await Content(query.Policy, query.To, ct));

    private async Task<DraftContent> Content(string policy, string side, CancellationToken ct)
    {
        if (side == "draft")
        {
            var loaded = await store.Load(policy, ct) ?? throw UnknownPolicy.Named(policy);
            return loaded.Draft;
        }
        // The validator refused anything else.
        _ = Common.ValidationRules.TryVersion(side, out var version);
        var snapshot = await store.Snapshot(policy, version, ct);
        if (snapshot is null)
        {
            _ = await store.Load(policy, ct) ?? throw UnknownPolicy.Named(policy);
            throw new DomainException(Refusal.NotFound, $"Policy {policy} has no version {version}.");
        }
        return snapshot.Draft;
    }
}
