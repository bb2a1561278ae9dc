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

    public async Task<ChangeResult> Change(string name, long? expectedVersion, string reason, Func<Policy, object> decide, CancellationToken ct) =>
        new(name, (await Apply(name, expectedVersion, reason, decide, ct)).Version);

    /// <summary>How many times in all a change sent without an expected version is decided and written before a lost race is a 409.</summary>
    public const int AttemptsWithoutExpectedVersion = 5;

    /// <summary>
    /// Load, decide, append one event. With an expected version a lost race is a 409: the caller
    /// asked for the state it read. Without one, the caller asked for the change on whatever the
    /// policy is now, so a change that loses a race to another (two editors adding rules at once)
    /// is decided again on the newer state, which may refuse it (the rule it moves is gone), and is
    /// a 409 only when all <see cref="AttemptsWithoutExpectedVersion"/> tries lost.
    /// </summary>
    public async Task<(TEvent Event, long Version)> Apply<TEvent>(string name, long? expectedVersion, string reason, Func<Policy, TEvent> decide,
        CancellationToken ct) where TEvent : notnull
    {
        for (var attempt = 1; ; attempt++)
        {
            var policy = await Load(name, expectedVersion, ct);
            var decided = decide(policy);
            try
            {
                return (decided, await Append(policy, reason, [decided], ct));
            }
            catch (ConcurrencyConflictException e) when (expectedVersion is null)
            {
                if (attempt == AttemptsWithoutExpectedVersion)
                {
                    // The caller sent no version and read nothing: what it can do is send the change again.
                    throw new ConcurrencyConflictException(
                        $"Policy {name} was changed by other requests while this change was being made, {attempt} times in a row. Nothing of it was applied; send it again.", e);
                }
                // Decided again on the state that won.
            }
        }
    }

    public AuditStamp Stamp(string reason) => new(actor.Name, reason, actor.CorrelationId);
}
