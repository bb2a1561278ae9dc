using JasperFx;
using JasperFx.Events;
using Lethe.Application.Ports;
using Lethe.Application.Snapshots;
using Lethe.Domain;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using Marten;
using Marten.Events;

namespace Lethe.Infrastructure.Marten;

public sealed class MartenPolicyStore(IDocumentSession session) : IPolicyStore
{
    public async Task<Policy?> Load(string policy, CancellationToken ct) => await session.LoadAsync<Policy>(policy, ct);

    /// <summary>
    /// The stream <see cref="LoadFromLog"/> read last in this session (one request's). Publish, rollback and
    /// revert then ask <see cref="RecordedSnapshot"/> about a version whose sealing event it holds, which was
    /// a second read of the whole stream, as long again at a long log. Appended events never change, so
    /// what it found there is what the log records.
    /// </summary>
    private (string Policy, IReadOnlyList<IEvent> Events)? _lastRead;

    public async Task<Policy?> LoadFromLog(string policy, long? version, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(policy, version: version ?? 0, token: ct);
        _lastRead = (policy, events);
        // Marten returns the whole stream for a version past its end; that version does not exist yet.
        if (version is > 0 && (events.Count == 0 || events[^1].Version < version))
        {
            return null;
        }
        return PolicyLog.Fold(events, events.Count);
    }

    public async Task<RecordedSnapshot?> RecordedSnapshot(string policy, int version, CancellationToken ct)
    {
        if (_lastRead is { } read && read.Policy == policy && Recorded(read.Events, version) is { } kept)
        {
            return kept;
        }
        return Recorded(await session.Events.FetchStreamAsync(policy, token: ct), version);
    }

    private static RecordedSnapshot? Recorded(IReadOnlyList<IEvent> events, int version)
    {
        for (var i = 0; i < events.Count; i++)
        {
            switch (events[i].Data)
            {
                case PolicyPublished p when p.Version == version:
                    // A publish does not change the draft: the stream folded up to it is what it sealed.
                    return PolicyLog.Fold(events, i + 1) is { } folded ? new RecordedSnapshot(p.ContentSha256, folded.Draft) : null;
                case PolicyRolledBack r when r.Version == version:
                    return new RecordedSnapshot(r.ContentSha256, r.Restored);
                case PublishReverted v when v.Version == version:
                    return new RecordedSnapshot(v.ContentSha256, v.Restored);
            }
        }
        return null;
    }

    /// <remarks>
    /// The stream up to its first event stamped after <paramref name="at"/>, not every event stamped
    /// before it: each instance stamps events with its own clock, and with two clocks apart a later
    /// change can carry an earlier time. Folding it without the changes before it is a state that
    /// never was (and can fail outright: a rule replaced before it was added).
    /// An event that sealed a version counts as of its snapshot's sealedAt where that is earlier than
    /// its stamp: the snapshot is timed before the append, which stamps the event later, so `show --at`
    /// the time `snapshot list` gives a version would show the policy before it. Nothing else moves: the
    /// events before it were appended before sealing began (its append expects their version), and
    /// an earlier time only ends the prefix sooner, so no state that never was comes of it.
    /// Only that prefix is read, in pages of growing size, so that a time near the start of a long log
    /// folds a few events and not all of them. Not by a query for the first event stamped after the time:
    /// with no index on the stamps, PostgreSQL read the whole stream for it where its statistics lagged
    /// behind the stream's growth.
    /// </remarks>
    public async Task<Policy?> LoadAt(string policy, DateTimeOffset at, CancellationToken ct)
    {
        var prefix = new List<IEvent>();
        Dictionary<int, DateTimeOffset>? sealedAt = null;
        var after = 0L;
        for (var page = FirstPage; ; page = Math.Min(page * 2, LargestPage))
        {
            var events = await session.Events.FetchStreamAsync(policy, version: after + page, fromVersion: after + 1, token: ct);
            foreach (var e in events)
            {
                // A sealing event's time is never later than its stamp: the snapshot summaries are read only for one stamped after the time.
                if (e.Timestamp > at && (EventSummary.Sealed(e.Data) is null
                    || TimeOf(e, sealedAt ??= (await Snapshots(policy, ct)).ToDictionary(s => s.Version, s => s.SealedAt)) > at))
                {
                    return PolicyLog.Fold(prefix, prefix.Count);
                }
                prefix.Add(e);
            }
            if (events.Count < page)
            {
                return PolicyLog.Fold(prefix, prefix.Count);
            }
            after = events[^1].Version;
        }
    }

    /// <summary>Events read by the first page of <see cref="LoadAt"/>, doubled for each next one up to <see cref="LargestPage"/>.</summary>
    public const int FirstPage = 256;

    private const int LargestPage = 8192;

    private static DateTimeOffset TimeOf(IEvent e, Dictionary<int, DateTimeOffset> sealedAt) =>
        EventSummary.Sealed(e.Data) is { } made && sealedAt.TryGetValue(made.Version, out var time) && time < e.Timestamp ? time : e.Timestamp;

    public async Task<long> Create(PolicyCreated created, AuditStamp audit, CancellationToken ct)
    {
        if (await session.Events.FetchStreamStateAsync(created.Policy, ct) is not null)
        {
            throw new DomainException(Refusal.Conflict, $"A policy named {created.Policy} already exists.");
        }
        Stamp(audit);
        session.Events.StartStream<Policy>(created.Policy, created);
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is ConcurrencyException or global::Marten.Exceptions.ExistingStreamIdCollisionException)
        {
            throw new DomainException(Refusal.Conflict, $"A policy named {created.Policy} already exists.");
        }
        return 1;
    }

    public async Task<long> Append(string policy, long expectedVersion, IReadOnlyList<object> events, AuditStamp audit, StoredSnapshot? snapshot,
        CancellationToken ct)
    {
        Stamp(audit);
        var after = expectedVersion + events.Count;
        session.Events.Append(policy, after, events.ToArray());
        if (snapshot is not null)
        {
            session.Insert(new SnapshotDocument
            {
                Id = SnapshotDocument.IdFor(policy, snapshot.Sealed.Version),
                Policy = policy,
                Version = snapshot.Sealed.Version,
                Sealed = snapshot.Sealed,
                Draft = snapshot.Draft,
            });
        }
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is ConcurrencyException or JasperFx.Events.Daemon.ApplyEventException or DocumentAlreadyExistsException)
        {
            // Nothing of it was written; the session must not send it again with the caller's next try.
            session.EjectAllPendingChanges();
            throw Conflict(policy, expectedVersion, snapshot, e);
        }
        return after;
    }

    /// <remarks>
    /// Besides the version check, an ApplyEventException: the inline projection met the stale event on
    /// the newer state another request committed (a rule added to a client a rollback or removal took
    /// away) before the version check could.
    /// </remarks>
    private static ConcurrencyConflictException Conflict(string policy, long expectedVersion, StoredSnapshot? snapshot, Exception e) =>
        e is DocumentAlreadyExistsException
            ? new($"Version {snapshot?.Sealed.Version} of policy {policy} was sealed by another request. Nothing was applied; retry.", e)
            : new($"Policy {policy} changed while this change was being made: another request wrote to it after version {expectedVersion}, the one this change was decided on. Nothing was applied; read it again and retry.", e);

    public async Task<(IReadOnlyList<object> Events, long Version)> EventsAfter(string policy, long version, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(policy, fromVersion: version + 1, token: ct);
        return (events.Select(e => e.Data).ToArray(), events.Count == 0 ? version : events[^1].Version);
    }

    /// <remarks>
    /// Only the page's rows are read: the stream's events by their version, newest first from the cursor,
    /// one more than the page to know whether older ones remain. What a summary needs from before the page
    /// is read on its own: the key of the version sealed last before it (one event, found by its type), so
    /// that the page's first version is called signed with a new key exactly when the whole history calls it so.
    /// </remarks>
    public async Task<HistoryPage?> History(string policy, int? limit, long? before, CancellationToken ct)
    {
        var query = session.Events.QueryAllRawEvents().Where(e => e.StreamKey == policy);
        if (before is { } cursor)
        {
            query = query.Where(e => e.Version < cursor);
        }
        IReadOnlyList<IEvent> events;
        var older = false;
        if (limit is { } most)
        {
            var newest = await query.OrderByDescending(e => e.Version).Take(most + 1).ToListAsync(ct);
            older = newest.Count > most;
            events = newest.Take(most).Reverse().ToArray();
        }
        else
        {
            events = await query.OrderBy(e => e.Version).ToListAsync(ct);
        }
        if (events.Count == 0 && await session.Events.FetchStreamStateAsync(policy, ct) is null)
        {
            return null;
        }

        var previous = events.Count > 0 && events.Any(e => EventSummary.Sealed(e.Data) is not null)
            ? await LastSealedBefore(policy, events[0].Version, ct)
            : null;
        // Only for versions whose events were recorded before they named their key.
        var unnamed = events.Append(previous).Select(e => e is null ? null : EventSummary.Sealed(e.Data))
            .Where(made => made is { KeyId: null }).Select(made => made!.Value.Version).ToArray();
        var keys = unnamed.Length == 0
            ? new Dictionary<int, string>()
            : (await session.Query<SnapshotDocument>().Where(d => d.Policy == policy && unnamed.Contains(d.Version))
                .Select(d => new SnapshotSummary(d.Sealed.Version, d.Sealed.ContentSha256, d.Sealed.KeyId, d.Sealed.SealedAt, d.Sealed.LogPosition, d.Sealed.Format))
                .ToListAsync(ct)).ToDictionary(s => s.Version, s => s.KeyId);
        var previousKey = previous is not null && EventSummary.Sealed(previous.Data) is { } made ? made.KeyId ?? keys.GetValueOrDefault(made.Version) : null;
        var summaries = EventSummary.DescribeAll(events.Select(e => e.Data).ToArray(), keys, previousKey);
        var entries = events.Select((e, i) => new HistoryEntry(
            e.Timestamp,
            e.UserName ?? "",
            e.Headers is { } headers && headers.TryGetValue(AuditHeaders.Reason, out var reason) ? reason?.ToString() ?? "" : "",
            e.CorrelationId ?? "",
            EventSummary.VersionOf(e.Data),
            e.Version,
            e.EventTypeName,
            summaries[i])).ToArray();
        return new HistoryPage(entries, older ? entries[0].Sequence : null);
    }

    /// <summary>The last event before <paramref name="sequence"/> that sealed a version, or null.</summary>
    private async Task<IEvent?> LastSealedBefore(string policy, long sequence, CancellationToken ct) =>
        (await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == policy && e.Version < sequence && e.EventTypesAre(EventSummary.SealingEvents))
            .OrderByDescending(e => e.Version).Take(1).ToListAsync(ct)).SingleOrDefault();

    public async Task<IReadOnlyList<PolicySummary>> List(CancellationToken ct)
    {
        // The listings, not the drafts: those hold every rule, megabytes for a large policy.
        var policies = await session.Query<PolicyListing>().ToListAsync(ct);
        // Sorted here: PostgreSQL sorts by the database's collation, so two servers would list the same policies in other orders.
        return policies.OrderBy(p => p.Id, StringComparer.Ordinal)
            .Select(p => new PolicySummary(p.Id, p.Version, p.Clients, p.Rules, p.LatestSnapshot, p.PendingConfirmation)).ToArray();
    }

    /// <remarks>
    /// From the listings, not the drafts, which every instance's watchdog would otherwise read (and PostgreSQL
    /// decompress, to test the condition) every few seconds. A listing does not hold the deadline: only a
    /// publish with one puts a version on trial, and none comes after it while it waits (publish is
    /// refused, rollback and revert end the wait), so it is that of the stream's last publish. A publish
    /// of another version there means the waiting one ended since the listing was read: it is left out.
    /// </remarks>
    public async Task<IReadOnlyList<PendingPublish>> Pending(CancellationToken ct)
    {
        var waiting = await session.Query<PolicyListing>().Where(l => l.PendingConfirmation != null).ToListAsync(ct);
        var pending = new List<PendingPublish>();
        foreach (var listing in waiting)
        {
            var last = (await session.Events.QueryAllRawEvents()
                .Where(e => e.StreamKey == listing.Id && e.EventTypesAre(typeof(PolicyPublished)))
                .OrderByDescending(e => e.Version).Take(1).ToListAsync(ct)).SingleOrDefault();
            if (last?.Data is PolicyPublished { ConfirmBy: { } by } published && published.Version == listing.PendingConfirmation)
            {
                pending.Add(new PendingPublish(listing.Id, published.Version, by));
            }
        }
        return pending;
    }

    public async Task<StoredSnapshot?> Snapshot(string policy, int version, CancellationToken ct) =>
        await session.LoadAsync<SnapshotDocument>(SnapshotDocument.IdFor(policy, version), ct) is { } doc
            ? new StoredSnapshot(doc.Sealed, doc.Draft)
            : null;

    // Projections in the query: a version's document holds its content and draft, megabytes for a large policy.
    public async Task<SnapshotSummary?> SnapshotSummary(string policy, int version, CancellationToken ct)
    {
        var id = SnapshotDocument.IdFor(policy, version);
        return await session.Query<SnapshotDocument>().Where(d => d.Id == id)
            .Select(d => new SnapshotSummary(d.Sealed.Version, d.Sealed.ContentSha256, d.Sealed.KeyId, d.Sealed.SealedAt, d.Sealed.LogPosition, d.Sealed.Format))
            .SingleOrDefaultAsync(ct);
    }

    public async Task<IReadOnlyList<SnapshotSummary>> Snapshots(string policy, CancellationToken ct) =>
        await session.Query<SnapshotDocument>().Where(d => d.Policy == policy).OrderBy(d => d.Version)
            .Select(d => new SnapshotSummary(d.Sealed.Version, d.Sealed.ContentSha256, d.Sealed.KeyId, d.Sealed.SealedAt, d.Sealed.LogPosition, d.Sealed.Format))
            .ToListAsync(ct);

    public async Task<int?> LatestVersion(string policy, CancellationToken ct) =>
        (await session.LoadAsync<PolicyListing>(policy, ct))?.LatestSnapshot;

    private void Stamp(AuditStamp audit)
    {
        session.LastModifiedBy = audit.Actor;
        session.CorrelationId = audit.CorrelationId;
        session.SetHeader(AuditHeaders.Reason, audit.Reason);
    }
}
