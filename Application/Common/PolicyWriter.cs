using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Policies;

namespace Lethe.Application.Common;

/// <summary>The load, check expected version, append shape every changing handler shares.</summary>
public sealed class PolicyWriter(IPolicyStore store, Actor actor)
{
    public async Task<Policy> Load(string name, long? expectedVersion, CancellationToken ct)
    {
        var policy = await store.Load(name, ct) ?? throw new DomainException(Refusal.NotFound, $"There is no policy named {name}.");
        if (expectedVersion is { } expected && expected != policy.Version)
        {
            throw new ConcurrencyConflictException(
                $"Policy {name} is at version {policy.Version}, not {expected}: someone changed it since you read it. Nothing was applied.");
        }
        return policy;
    }

    public Task<long> Append(Policy policy, string reason, IReadOnlyList<object> events, CancellationToken ct, StoredSnapshot? snapshot = null) =>
        store.Append(policy.Id, policy.Version, events, Stamp(reason), snapshot, ct);

    public async Task<ChangeResult> Change(string name, long? expectedVersion, string reason, Func<Policy, object> decide, CancellationToken ct)
    {
        var policy = await Load(name, expectedVersion, ct);
        var version = await Append(policy, reason, [decide(policy)], ct);
        return new ChangeResult(name, version);
    }

    public AuditStamp Stamp(string reason) => new(actor.Name, reason, actor.CorrelationId);
}
