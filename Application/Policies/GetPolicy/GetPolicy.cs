using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Policies.GetPolicy;

/// <summary>The current draft, with its stream version (the ETag for If-Match).</summary>
public sealed record GetPolicy(string Name) : IQuery<Policy>;

public sealed class GetPolicyHandler(IPolicyStore store) : IQueryHandler<GetPolicy, Policy>
{
    public async ValueTask<Policy> Handle(GetPolicy query, CancellationToken ct) =>
        await store.Load(query.Name, ct) ?? throw UnknownPolicy.Named(query.Name);
}
