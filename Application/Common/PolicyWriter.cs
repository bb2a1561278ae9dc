using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Policies;

namespace Lethe.Application.Common;

/// <summary>The load, check expected version, append shape every changing handler shares.</summary>
public sealed class PolicyWriter(IPolicyStore store, Actor actor)
{
    public async Task<Policy> Load(string name, long? expectedVersion, CancellationToken ct) =>
        AtExpectedVersion(name, await store.Load(name, ct), expectedVersion);

    /// <summary>
    /// The policy as its event log has it, folded afresh: what publish, rollback and revert decide
    /// from (publishing state, tests, draft), so nothing signed rests on the stored projection alone.
    /// </summary>
    public async Task<Policy> LoadFromLog(string name, long? expectedVersion, CancellationToken ct) =>
        AtExpectedVersion(name, await store.LoadFromLog(name, null, ct), expectedVersion);

    private static Policy AtExpectedVersion(string name, Policy? policy, long? expectedVersion)
    {
        if (policy is null)
        {
            throw new DomainException(Refusal.NotFound, $"There is no policy named {name}.");
        }
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
