using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Ports;

/// <summary>
/// The event log and the sealed snapshots: the seam to PostgreSQL. One stream per policy; a
/// snapshot is stored in the same transaction as the event that made it, and never updated.
/// </summary>
public interface IPolicyStore
{
    Task<Policy?> Load(string policy, CancellationToken ct);

    /// <summary>
    /// The policy folded from its stream's events (up to <paramref name="version"/>, or all of them when
    /// null), as against <see cref="Load"/>'s stored projection: what publish, rollback and revert decide
    /// from, so that a projection changed outside Lethe decides nothing that gets signed. Null when the
    /// policy does not exist, or has no such version yet.
    /// </summary>
    Task<Policy?> LoadFromLog(string policy, long? version, CancellationToken ct);

    /// <summary>
    /// What the log recorded for sealed <paramref name="version"/>: the content hash of its publish,
    /// rollback or revert event, and the draft it sealed (a publish's draft folded up to that event; a
    /// rollback's or revert's restored draft). Null when the log records no such version.
    /// </summary>
    Task<RecordedSnapshot?> RecordedSnapshot(string policy, int version, CancellationToken ct);

    /// <summary>
    /// The policy folded from the events recorded up to <paramref name="at"/>, a version's from the time its
    /// snapshot was sealed; null when it did not exist yet.
    /// </summary>
    Task<Policy?> LoadAt(string policy, DateTimeOffset at, CancellationToken ct);

    /// <summary>Starts the stream; a policy of that name already existing is a <see cref="Domain.Refusal.Conflict"/>.</summary>
    Task<long> Create(PolicyCreated created, AuditStamp audit, CancellationToken ct);

    /// <summary>
    /// Appends to a stream that must still be at <paramref name="expectedVersion"/>, else throws
    /// <see cref="ConcurrencyConflictException"/> and writes nothing. Returns the new stream version.
    /// </summary>
    Task<long> Append(string policy, long expectedVersion, IReadOnlyList<object> events, AuditStamp audit, StoredSnapshot? snapshot, CancellationToken ct);

    /// <summary>
    /// The newest <paramref name="limit"/> entries (every one when null) of those before sequence
    /// <paramref name="before"/> (of the whole stream when null), oldest first, read without the entries
    /// outside the page; null when there is no such policy.
    /// </summary>
    Task<HistoryPage?> History(string policy, int? limit, long? before, CancellationToken ct);

    /// <summary>The events appended to <paramref name="policy"/>'s stream after <paramref name="version"/>, in order, and the version they bring it to.</summary>
    Task<(IReadOnlyList<object> Events, long Version)> EventsAfter(string policy, long version, CancellationToken ct);

    Task<IReadOnlyList<PolicySummary>> List(CancellationToken ct);

    /// <summary>The commit-confirmed publishes waiting for confirmation, overdue or not.</summary>
    Task<IReadOnlyList<PendingPublish>> Pending(CancellationToken ct);

    Task<StoredSnapshot?> Snapshot(string policy, int version, CancellationToken ct);

    /// <summary>One sealed version's summary, read without its content or draft; null when there is none.</summary>
    Task<Snapshots.SnapshotSummary?> SnapshotSummary(string policy, int version, CancellationToken ct);

    /// <summary>Every sealed version's summary, oldest first, read without their contents.</summary>
    Task<IReadOnlyList<Snapshots.SnapshotSummary>> Snapshots(string policy, CancellationToken ct);

    /// <summary>The policy's latest sealed version (0 before its first publish), read without its draft; null when there is no such policy.</summary>
    Task<int?> LatestVersion(string policy, CancellationToken ct);
}
