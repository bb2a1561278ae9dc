using Lethe.Application.Ports;
using Lethe.Application.Snapshots;
using Lethe.Domain.Policies;
using Lethe.Infrastructure.Marten;
using Marten;

namespace Lethe.Application.Tests;

/// <summary>Changes another editor makes: one turn of them before each of the next appends of the request under test.</summary>
public sealed class RivalChanges
{
    private readonly Queue<Func<Policy, object>[]> _turns = new();

    /// <summary>One change before each of the next appends.</summary>
    public void Before(params Func<Policy, object>[] changes)
    {
        foreach (var change in changes)
        {
            _turns.Enqueue([change]);
        }
    }

    /// <summary>All of <paramref name="changes"/>, one after another, before the next append.</summary>
    public void AllBefore(params Func<Policy, object>[] changes) => _turns.Enqueue(changes);

    internal bool TryTake(out Func<Policy, object>[] turn) => _turns.TryDequeue(out turn!);
}

/// <summary>
/// The real store, except that before an append a rival change (if one is queued) lands first
/// through a session of its own: the append under test then loses a real race in PostgreSQL.
/// </summary>
public sealed class RivalFirstStore(MartenPolicyStore real, IDocumentStore documents, RivalChanges rival) : IPolicyStore
{
    public async Task<long> Append(string policy, long expectedVersion, IReadOnlyList<object> events, AuditStamp audit, StoredSnapshot? snapshot,
        CancellationToken ct)
    {
        if (rival.TryTake(out var turn))
        {
            foreach (var change in turn)
            {
                await using var session = documents.LightweightSession();
                var other = new MartenPolicyStore(session);
                var current = (await other.Load(policy, ct))!;
                await other.Append(policy, current.Version, [change(current)], new AuditStamp("rival", "a rival edit", "rival"), null, ct);
            }
        }
        return await real.Append(policy, expectedVersion, events, audit, snapshot, ct);
    }

    public Task<Policy?> Load(string policy, CancellationToken ct) => real.Load(policy, ct);

    public Task<Policy?> LoadFromLog(string policy, long? version, CancellationToken ct) => real.LoadFromLog(policy, version, ct);

    public Task<RecordedSnapshot?> RecordedSnapshot(string policy, int version, CancellationToken ct) => real.RecordedSnapshot(policy, version, ct);

    public Task<Policy?> LoadAt(string policy, DateTimeOffset at, CancellationToken ct) => real.LoadAt(policy, at, ct);

    public Task<long> Create(PolicyCreated created, AuditStamp audit, CancellationToken ct) => real.Create(created, audit, ct);

    public Task<HistoryPage?> History(string policy, int? limit, long? before, CancellationToken ct) => real.History(policy, limit, before, ct);

    public Task<(IReadOnlyList<object> Events, long Version)> EventsAfter(string policy, long version, CancellationToken ct) =>
        real.EventsAfter(policy, version, ct);

    public Task<IReadOnlyList<PolicySummary>> List(CancellationToken ct) => real.List(ct);

    public Task<IReadOnlyList<PendingPublish>> Pending(CancellationToken ct) => real.Pending(ct);

    public Task<StoredSnapshot?> Snapshot(string policy, int version, CancellationToken ct) => real.Snapshot(policy, version, ct);

    public Task<SnapshotSummary?> SnapshotSummary(string policy, int version, CancellationToken ct) => real.SnapshotSummary(policy, version, ct);

    public Task<IReadOnlyList<SnapshotSummary>> Snapshots(string policy, CancellationToken ct) => real.Snapshots(policy, ct);

    public Task<int?> LatestVersion(string policy, CancellationToken ct) => real.LatestVersion(policy, ct);
}
