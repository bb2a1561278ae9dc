using JasperFx;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Infrastructure.Tests;

public sealed class EventStoreTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.Create();
        _store = DocumentStore.For(o => LetheStoreOptions.Configure(o, _database.ConnectionString, createSchema: false));
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task actor_reason_and_correlation_id_are_kept_in_martens_own_event_metadata()
    {
        await using (var session = _store.LightweightSession())
        {
            await new MartenPolicyStore(session).Create(new PolicyCreated("p"), new AuditStamp("alice", "because", "corr-1"), default);
        }

        Assert.Equal(1, await _database.Count(
            "select count(*) from lethe.mt_events where user_name = 'alice' and correlation_id = 'corr-1' and headers->>'reason' = 'because'"));
    }

    [Fact]
    public async Task the_inline_projection_keeps_the_draft_and_its_stream_version()
    {
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("p"), new AuditStamp("a", "r", "c"), default);
            await store.Append("p", 1, [new ClientAdded("work", ["10.137.0.5"]), new RuleAdded("work", "r-1", "action=drop", 0)],
                new AuditStamp("a", "r", "c"), null, default);
        }

        await using var query = _store.LightweightSession();
        var policy = await new MartenPolicyStore(query).Load("p", default);

        Assert.Equal(3, policy!.Version);
        Assert.Equal("action=drop", policy.Draft.FindClient("work")!.Rules.Single().Rule);
    }

    [Fact]
    public async Task a_change_decided_on_a_state_another_change_has_since_moved_is_a_conflict_not_a_crash()
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("p"), audit, default);
            await store.Append("p", 1, [new ClientAdded("work", ["10.137.0.5"])], audit, null, default);
        }
        // Another request removes the client meanwhile.
        await using (var session = _store.LightweightSession())
        {
            await new MartenPolicyStore(session).Append("p", 2, [new ClientRemoved("work")], audit, null, default);
        }

        // A rule add decided at version 2: the inline projection meets it on a policy without that client.
        await using var stale = _store.LightweightSession();
        var refused = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            new MartenPolicyStore(stale).Append("p", 2, [new RuleAdded("work", "r-1", "action=drop", 0)], audit, null, default));

        Assert.Contains("changed while this change was being made", refused.Message);
        Assert.Equal(3, await _database.Count("select count(*) from lethe.mt_events where stream_id = 'p'"));
    }

    [Fact]
    public async Task the_policy_at_a_time_is_a_prefix_of_its_history_even_when_instances_stamped_changes_out_of_order()
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("skew"), audit, default);
            await store.Append("skew", 1, [new ClientAdded("work", ["10.137.0.5"])], audit, null, default);
            await store.Append("skew", 2, [new RuleAdded("work", "r-1", "action=drop", 0)], audit, null, default);
            await store.Append("skew", 3, [new RuleReplaced("work", "r-1", "action=drop", "action=accept")], audit, null, default);
        }
        // The replace came through an instance whose clock was a minute behind the others.
        await _database.Count("with moved as (update lethe.mt_events set timestamp = timestamp - interval '1 minute' " +
            "where stream_id = 'skew' and version = 4 returning 1) select count(*) from moved");
        var added = await _database.Count("select (extract(epoch from timestamp) * 1000000)::bigint from lethe.mt_events where stream_id = 'skew' and version = 3");
        var justBeforeTheAdd = DateTimeOffset.UnixEpoch.AddTicks((added - 1) * 10);

        await using var query = _store.LightweightSession();
        var then = await new MartenPolicyStore(query).LoadAt("skew", justBeforeTheAdd, default);

        // Not the replace alone (a rule replaced before it was added): the policy as it stood before the add.
        Assert.Equal(2, then!.Version);
        Assert.Empty(then.Draft.FindClient("work")!.Rules);
    }

    [Fact]
    public async Task the_policy_at_a_time_is_folded_from_the_events_up_to_it_without_reading_the_whole_log()
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("long"), audit, default);
            await store.Append("long", 1, [new ClientAdded("work", ["10.137.0.5"]), new RuleAdded("work", "r-1", "action=drop", 0)], audit, null, default);
            await store.Append("long", 3, Toggles("r-1", "action=drop", MartenPolicyStore.FirstPage + 10), audit, null, default);
        }
        // Version v stamped at 10:00 plus v minutes; those past the first page hold what no reader can read: read, they would fail the request.
        await _database.Execute("update lethe.mt_events set timestamp = timestamptz '2026-01-01 10:00:00Z' + version * interval '1 minute' where stream_id = 'long'");
        await _database.Execute($"update lethe.mt_events set data = '\"unreadable\"' where stream_id = 'long' and version > {MartenPolicyStore.FirstPage}");
        // As `show --at` passes it on when given with an offset: 10:03:30 UTC.
        var at = new DateTimeOffset(2026, 1, 1, 12, 3, 30, TimeSpan.FromHours(2));

        await using var query = _store.LightweightSession();
        var then = await new MartenPolicyStore(query).LoadAt("long", at, default);

        Assert.Equal(3, then!.Version);
        Assert.Equal("action=drop", then.Draft.FindClient("work")!.Rules.Single().Rule);
    }

    [Fact]
    public async Task a_version_sealed_by_the_time_counts_though_its_event_was_stamped_after_it_and_the_rest_of_the_log_is_not_read()
    {
        var audit = new AuditStamp("a", "r", "c");
        var sealedAt = new DateTimeOffset(2026, 1, 1, 10, 3, 0, TimeSpan.Zero);
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("timed"), audit, default);
            await store.Append("timed", 1, [new ClientAdded("work", ["10.137.0.5"])], audit, null, default);
            var snapshot = new StoredSnapshot(new SealedSnapshot(SealedSnapshot.CurrentFormat, "timed", 1, 2, sealedAt, "sha", "key", "sig", "e30="), DraftContent.Empty);
            await store.Append("timed", 2, [new PolicyPublished(1, "sha", 2, null)], audit, snapshot, default);
            await store.Append("timed", 3, [new RuleAdded("work", "r-1", "action=drop", 0), .. Toggles("r-1", "action=drop", MartenPolicyStore.FirstPage)], audit, null, default);
        }
        // Stamped 10:01, 10:02, 10:05 (the publish, sealed at 10:03) and from 10:06 on; past the first page, unreadable.
        await _database.Execute("update lethe.mt_events set timestamp = timestamptz '2026-01-01 10:00:00Z' + " +
            "(case when version > 2 then version + 2 else version end) * interval '1 minute' where stream_id = 'timed'");
        await _database.Execute($"update lethe.mt_events set data = '\"unreadable\"' where stream_id = 'timed' and version > {MartenPolicyStore.FirstPage}");

        await using var query = _store.LightweightSession();
        var then = await new MartenPolicyStore(query).LoadAt("timed", sealedAt.AddMinutes(1), default);

        Assert.Equal(3, then!.Version);
        Assert.Equal(1, then.Publishing.LatestVersion);
    }

    [Theory]
    [InlineData(MartenPolicyStore.FirstPage - 3)]
    [InlineData(MartenPolicyStore.FirstPage + MartenPolicyStore.FirstPage * 2 - 3)]
    [InlineData(MartenPolicyStore.FirstPage * 5)]
    public async Task the_policy_at_a_time_past_a_page_or_at_the_logs_end_is_folded_from_every_event_up_to_it(int version)
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("paged"), audit, default);
            await store.Append("paged", 1, [new ClientAdded("work", ["10.137.0.5"]), new RuleAdded("work", "r-1", "action=drop", 0)], audit, null, default);
            await store.Append("paged", 3, Toggles("r-1", "action=drop", MartenPolicyStore.FirstPage * 4), audit, null, default);
        }
        await _database.Execute("update lethe.mt_events set timestamp = timestamptz '2026-01-01 10:00:00Z' + version * interval '1 second' where stream_id = 'paged'");

        await using var query = _store.LightweightSession();
        var then = await new MartenPolicyStore(query).LoadAt("paged", new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).AddSeconds(version), default);

        var last = Math.Min(version, MartenPolicyStore.FirstPage * 4 + 3);
        Assert.Equal(last, then!.Version);
        // Toggled from version 4 on: an odd number of toggles leaves it accepting.
        Assert.Equal((last - 3) % 2 == 1 ? "action=accept" : "action=drop", then.Draft.FindClient("work")!.Rules.Single().Rule);
    }

    /// <summary>Rule <paramref name="ruleId"/> of client work replaced <paramref name="count"/> times, from <paramref name="from"/>, between accept and drop.</summary>
    private static object[] Toggles(string ruleId, string from, int count) =>
        Enumerable.Range(0, count).Select(object (i) =>
        {
            var before = (i % 2 == 0) == (from == "action=drop") ? "action=drop" : "action=accept";
            return new RuleReplaced("work", ruleId, before, before == "action=drop" ? "action=accept" : "action=drop");
        }).ToArray();

    [Fact]
    public async Task a_version_counts_from_its_sealing_time_but_never_ahead_of_the_changes_before_it()
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            await new MartenPolicyStore(session).Create(new PolicyCreated("sealed"), audit, default);
        }
        var created = DateTimeOffset.UnixEpoch.AddTicks(10 * await _database.Count(
            "select (extract(epoch from timestamp) * 1000000)::bigint from lethe.mt_events where stream_id = 'sealed' and version = 1"));
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Append("sealed", 1, [new ClientAdded("work", ["10.137.0.5"])], audit, null, default);
            // Sealed by an instance whose clock was behind: before the change it was sealed from.
            var snapshot = new StoredSnapshot(new SealedSnapshot(SealedSnapshot.CurrentFormat, "sealed", 1, 2, created, "sha", "key", "sig", "e30="), DraftContent.Empty);
            await store.Append("sealed", 2, [new PolicyPublished(1, "sha", 2, null)], audit, snapshot, default);
        }

        await using var query = _store.LightweightSession();
        var then = await new MartenPolicyStore(query).LoadAt("sealed", created, default);

        Assert.Equal(1, then!.Version);
        Assert.Equal(0, then.Publishing.LatestVersion);
    }

    [Fact]
    public async Task the_log_read_back_folds_to_what_the_inline_projection_stored_after_each_change()
    {
        var audit = new AuditStamp("a", "r", "c");
        var stored = new Dictionary<long, string>();
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            var version = await store.Create(new PolicyCreated("many"), audit, default);
            // Clients added, changed, one removed and added again, in separate appends and in one.
            var changes = new List<object[]>();
            for (var c = 0; c < 40; c++)
            {
                changes.Add([new ClientAdded($"c{c}", [$"10.137.1.{c + 1}"]), new RuleAdded($"c{c}", $"r{c}", "action=drop", 0)]);
            }
            changes.Add([new RuleAdded("c7", "r7b", "action=accept", 0), new RuleMoved("c7", "r7b", 0, 1), new ClientRemoved("c3")]);
            changes.Add([new ClientAdded("c3", ["10.137.1.200"]), new RulesImported("c3", false, [new DraftRule("i1", "action=accept proto=udp")])]);
            changes.Add([new RuleReplaced("c39", "r39", "action=drop", "action=accept"), new RuleRemoved("c0", "r0", "action=drop")]);
            foreach (var events in changes)
            {
                version = await store.Append("many", version, events, audit, null, default);
                stored[version] = (await store.Load("many", default))!.SealableContent().Sha256;
            }
        }

        await using var query = _store.LightweightSession();
        var log = new MartenPolicyStore(query);
        foreach (var (version, sha) in stored)
        {
            var folded = await log.LoadFromLog("many", version, default);
            Assert.Equal(version, folded!.Version);
            Assert.Equal(sha, folded.SealableContent().Sha256);
        }
        var whole = await log.LoadFromLog("many", null, default);
        Assert.Equal(stored.Keys.Max(), whole!.Version);
        Assert.Equal(["i1"], whole.Draft.FindClient("c3")!.Rules.Select(r => r.Id));
        Assert.Equal(["r7", "r7b"], whole.Draft.FindClient("c7")!.Rules.Select(r => r.Id));
        Assert.Null(await log.LoadFromLog("none", null, default));
        Assert.Null(await log.LoadFromLog("many", whole.Version + 1, default));
    }

    [Fact]
    public async Task events_stored_before_they_named_what_went_still_fold_and_keep_their_summaries()
    {
        var audit = new AuditStamp("a", "r", "c");
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("old"), audit, default);
            await store.Append("old", 1, [
                new ClientAdded("work", ["10.137.0.5"]), new ClientAdded("personal", ["10.137.0.6"]),
                new RuleAdded("work", "r-1", "action=drop", 0),
                new PolicyTestAdded(new PolicyTest("t-1", "work", "192.0.2.1", "tcp", 22, null, "drop")),
                new RulesImported("work", true, [new DraftRule("r-2", "action=accept")], ["r-1"]),
                new PolicyTestRemoved("t-1", new PolicyTest("t-1", "work", "192.0.2.1", "tcp", 22, null, "drop")),
                new ClientRemoved("personal", ["10.137.0.6"], []),
            ], audit, null, default);
        }
        // As an earlier build wrote them: without the fields that name what went.
        var stripped = await _database.Count("with old as (update lethe.mt_events set data = data - 'replacedRuleIds' - 'test' - 'addresses' - 'ruleIds' " +
            "where stream_id = 'old' and type in ('rules_imported', 'policy_test_removed', 'client_removed') returning 1) select count(*) from old");

        await using var query = _store.LightweightSession();
        var log = new MartenPolicyStore(query);
        var summaries = (await log.History("old", null, null, default))!.Entries.TakeLast(3).Select(h => h.Summary);
        var folded = await log.LoadFromLog("old", null, default);

        Assert.Equal(3, stripped);
        Assert.Equal(["work: imported 1 rule(s) (r-2), replacing all", "removed test t-1", "removed client personal"], summaries);
        Assert.Equal(["work"], folded!.Draft.Clients.Select(c => c.Name));
        Assert.Equal(["r-2"], folded.Draft.FindClient("work")!.Rules.Select(r => r.Id));
        Assert.Empty(folded.Draft.Tests);
    }

    [Fact]
    public async Task a_sealed_version_is_never_overwritten()
    {
        var snapshot = new StoredSnapshot(new SealedSnapshot(SealedSnapshot.CurrentFormat, "p", 1, 1, DateTimeOffset.UnixEpoch, "sha", "key", "sig", "e30="),
            DraftContent.Empty);
        await using (var session = _store.LightweightSession())
        {
            var store = new MartenPolicyStore(session);
            await store.Create(new PolicyCreated("p"), new AuditStamp("a", "r", "c"), default);
            await store.Append("p", 1, [new PolicyPublished(1, "sha", 1, null)], new AuditStamp("a", "r", "c"), snapshot, default);
        }

        await using var again = _store.LightweightSession();
        var forged = snapshot with { Sealed = snapshot.Sealed with { ContentSha256 = "other" } };
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            new MartenPolicyStore(again).Append("p", 2, [new PolicyPublished(1, "other", 2, null)], new AuditStamp("a", "r", "c"), forged, default));

        await using var check = _store.LightweightSession();
        Assert.Equal("sha", (await new MartenPolicyStore(check).Snapshot("p", 1, default))!.Sealed.ContentSha256);
        Assert.Equal(2, await _database.Count(TestDatabase.PolicyEventCount));
    }

    [Fact]
    public async Task creating_a_policy_that_exists_is_a_conflict()
    {
        await using (var session = _store.LightweightSession())
        {
            await new MartenPolicyStore(session).Create(new PolicyCreated("p"), new AuditStamp("a", "r", "c"), default);
        }
        await using var again = _store.LightweightSession();

        var refused = await Assert.ThrowsAsync<Domain.DomainException>(() =>
            new MartenPolicyStore(again).Create(new PolicyCreated("p"), new AuditStamp("a", "r", "c"), default));

        Assert.Equal(Domain.Refusal.Conflict, refused.Refusal);
    }
}
