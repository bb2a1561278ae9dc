using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Policies.ShowPolicyAt;

/// <summary>The policy as it stood at a moment, folded from the log.</summary>
public sealed record ShowPolicyAt(string Name, DateTimeOffset At) : IQuery<Policy>;

public sealed class ShowPolicyAtHandler(IPolicyStore store) : IQueryHandler<ShowPolicyAt, Policy>
{
    public async ValueTask<Policy> Handle(ShowPolicyAt query, CancellationToken ct) =>
        await store.LoadAt(query.Name, query.At, ct)
        ?? throw new DomainException(Refusal.NotFound, $"Policy {QuotedText.Name(query.Name)} did not exist at {query.At:u}.");
}
