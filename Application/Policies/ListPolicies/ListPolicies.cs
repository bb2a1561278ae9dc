using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.Policies.ListPolicies;

public sealed record ListPolicies : IQuery<IReadOnlyList<PolicySummary>>;

public sealed class ListPoliciesHandler(IPolicyStore store) : IQueryHandler<ListPolicies, IReadOnlyList<PolicySummary>>
{
    public async ValueTask<IReadOnlyList<PolicySummary>> Handle(ListPolicies query, CancellationToken ct) => await store.List(ct);
}
