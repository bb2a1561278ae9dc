using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Infrastructure.Tests;

/// <summary>
/// A page of the history, read from PostgreSQL without the rest of the stream, says of each entry what the
/// whole history says of it: the key comparison of a sealed version reaches back past the page.
/// </summary>
public sealed class HistoryPageTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.Create();
        _store = DocumentStore.For(o => LetheStoreOptions.Configure(o, _database.ConnectionString, createSchema: false));
        await using var session = _store.LightweightSession();
        var store = new MartenPolicyStore(session);
        var audit = new AuditStamp("alice", "why", "corr");
        await store.Create(new PolicyCreated("p"), audit, default);
        var version = 1L;
        async Task Append(object e, (int Version, string Key)? sealedWith = null)
        {
            var snapshot = sealedWith is { } s
                ? new StoredSnapshot(new SealedSnapshot(SealedSnapshot.CurrentFormat, "p", s.Version, version, DateTimeOffset.UnixEpoch, "sha", s.Key, "sig", "e30="),
                    DraftContent.Empty)
                : null;
            version = await store.Append("p", version, [e], audit with { Reason = "change " + (version + 1) }, snapshot, default);
        }
        await Append(new ClientAdded("work", ["10.137.0.5"]));
        await Append(new RuleAdded("work", "r-1", "action=drop", 0));
        // Recorded before publishes named their key: the history reads it from the stored snapshot.
        await Append(new PolicyPublished(1, Sha("1"), 3, null), (1, "ka"));
        await Append(new RuleAdded("work", "r-2", "action=accept", 0));
        await Append(new PolicyPublished(2, Sha("2"), 5, null, "kb"), (2, "kb"));
        await Append(new RuleRemoved("work", "r-1", "action=drop"));
        await Append(new RuleAdded("work", "r-3", "action=reject", 0));
        await Append(new PolicyPublished(3, Sha("3"), 8, null, "kb"), (3, "kb"));
        await Append(new RuleAdded("work", "r-4", "action=accept proto=udp", 0));
        await Append(new RuleAdded("work", "r-5", "action=accept proto=tcp", 0));
        await Append(new PolicyRolledBack(4, 1, Sha("1"), 11, DraftContent.Empty, "kc"), (4, "kc"));
    }

    private static string Sha(string digit) => string.Concat(Enumerable.Repeat(digit, 64));

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task the_whole_history_is_what_the_whole_stream_describes()
    {
        await using var session = _store.LightweightSession();

        var whole = (await new MartenPolicyStore(session).History("p", null, null, default))!;

        Assert.Null(whole.Before);
        Assert.Equal(Enumerable.Range(1, 12), whole.Entries.Select(e => (int)e.Sequence));
        Assert.Equal(Enumerable.Range(1, 12).Select(n => n == 1 ? "why" : "change " + n), whole.Entries.Select(e => e.Reason));
        Assert.All(whole.Entries, e => Assert.Equal(("alice", "corr"), (e.Actor, e.CorrelationId)));
        Assert.Equal([
            $"published version 1 ({Sha("1")[..12]})",
            $"published version 2 ({Sha("2")[..12]}), signed with new key kb",
            $"published version 3 ({Sha("3")[..12]})",
            "rolled back to version 1 as version 4, signed with new key kc",
        ], whole.Entries.Where(e => e.Version is not null).Select(e => e.Summary));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(1000)]
    public async Task pages_of_any_size_give_every_entry_once_in_order_as_the_whole_history_has_it(int limit)
    {
        await using var session = _store.LightweightSession();
        var store = new MartenPolicyStore(session);
        var whole = (await store.History("p", null, null, default))!.Entries;

        var pages = new List<HistoryPage>();
        long? before = null;
        do
        {
            pages.Add((await store.History("p", limit, before, default))!);
            before = pages[^1].Before;
        }
        while (before is not null);

        Assert.All(pages, page => Assert.InRange(page.Entries.Count, 1, limit));
        Assert.Equal(whole, pages.AsEnumerable().Reverse().SelectMany(p => p.Entries));
    }

    [Fact]
    public async Task a_page_reads_its_own_rows_and_not_the_whole_stream()
    {
        var sql = new MartenSqlLog();
        await using var session = _store.LightweightSession();
        session.Logger = sql;

        var page = (await new MartenPolicyStore(session).History("p", 2, 11, default))!;

        Assert.Equal([9, 10], page.Entries.Select(e => e.Sequence));
        var reads = sql.Commands.Where(t => t.Contains("mt_events", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(reads);
        // The page's rows (one more, to know whether older ones remain) and the last sealing event before it: nothing without a LIMIT.
        Assert.All(reads, text => Assert.Matches("(?i)\\blimit\\b", text));
    }

    [Fact]
    public async Task a_page_past_the_oldest_entry_is_empty_and_an_unknown_policy_has_none()
    {
        await using var session = _store.LightweightSession();
        var store = new MartenPolicyStore(session);

        var empty = await store.History("p", 10, 1, default);
        var unknown = await store.History("nobody", 10, null, default);

        Assert.Empty(empty!.Entries);
        Assert.Null(empty.Before);
        Assert.Null(unknown);
    }
}
