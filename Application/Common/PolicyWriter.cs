using Lethe.Application.Ports;
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
            throw UnknownPolicy.Named(name);
        }
        if (expectedVersion is { } expected && expected != policy.Version)
        {
            throw new StaleVersionException(name, expected, policy.Version);
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
            catch (ConcurrencyConflictException e) when (expectedVersion is not null)
            {
                throw await LostRace(policy, "change", expectedVersion, now => $"Nothing was applied; read it again and, if the change still holds, send it with version {now}.", e, ct);
            }
            catch (ConcurrencyConflictException e)
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

    /// <summary>
    /// A write refused because another request wrote to the policy first, told in the caller's terms:
    /// what landed meanwhile and the version the policy is at now (in the message, and as
    /// <see cref="ConcurrencyConflictException.CurrentVersion"/> for clients), never the version this request
    /// happened to load, which the caller did not give (and, with an If-Match, the version it named).
    /// A refusal with nothing written after <paramref name="read"/> lost no race and is passed on as it is.
    /// </summary>
    /// <param name="request">What the caller asked for, as in "while this publish was being made".</param>
    /// <param name="outcome">What was not done and what to do, given the version the policy is at now.</param>
    public async Task<ConcurrencyConflictException> LostRace(Policy read, string request, long? ifMatch, Func<long, string> outcome,
        ConcurrencyConflictException lost, CancellationToken ct)
    {
        var (landed, now) = await store.EventsAfter(read.Id, read.Version, ct);
        if (landed.Count == 0)
        {
            return lost;
        }
        var named = ifMatch is { } version ? $", after version {version}, the one its If-Match named" : "";
        return new ConcurrencyConflictException(
            $"Another request changed policy {read.Id} while this {request} was being made{named}: {Landed(landed)}, and the policy is now at version {now}. {outcome(now)}",
            lost, now);
    }

    /// <summary>"it published version 3 first", "2 changes landed first": what a user can look up in the history.</summary>
    private static string Landed(IReadOnlyList<object> events)
    {
        var published = events.Select(EventSummary.Sealed).OfType<(int Version, string? KeyId)>().Select(s => s.Version).ToArray();
        var others = events.Count - published.Length;
        if (published.Length == 0)
        {
            return others == 1 ? "1 change landed first" : $"{others} changes landed first";
        }
        var versions = published.Length == 1 ? $"version {published[0]}" : $"versions {string.Join(", ", published)}";
        return $"it published {versions} first" + (others switch
        {
            0 => "",
            1 => " and made 1 other change",
            _ => $" and made {others} other changes",
        });
    }

    public AuditStamp Stamp(string reason) => new(actor.Name, reason, actor.CorrelationId);
}
