using System.Text.RegularExpressions;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Infrastructure.Tests;

/// <summary>
/// `lethe policy list` (GET /policies) reads one small listing per policy, kept with every change,
/// where it read every policy's whole draft: 200 policies of 1,000 rules took a third of a second.
/// </summary>
public sealed partial class PolicyListingTests : IAsyncLifetime
{
    private static readonly AuditStamp Audit = new("alice", "because", "corr");

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
    public async Task the_list_reads_no_policys_draft()
    {
        await Append("p", [new ClientAdded("work", ["10.137.0.5"]), new RuleAdded("work", "r-1", "action=drop", 0)]);
        var commands = new MartenSqlLog();

        await using var session = _store.LightweightSession();
        session.Logger = commands;
        var listed = await new MartenPolicyStore(session).List(default);

        Assert.Equal([new PolicySummary("p", 3, 1, 1, 0, null)], listed);
        Assert.NotEmpty(commands.Commands);
        Assert.DoesNotContain(commands.Commands, sql => DraftTable().IsMatch(sql));
    }

    [Fact]
    public async Task the_publishes_waiting_for_confirmation_and_a_latest_version_are_read_without_any_draft()
    {
        // The watchdog asks for the waiting publishes every few seconds, on every instance; GET .../snapshots/latest for the latest version.
        var by = new DateTimeOffset(2026, 12, 1, 10, 5, 0, TimeSpan.Zero);
        await Append("waiting", [new ClientAdded("work", ["10.137.0.5"]), new PolicyPublished(1, "sha-1", 2, null)]);
        await Append("waiting", [new RuleAdded("work", "r-1", "action=drop", 0), new PolicyPublished(2, "sha-2", 4, by)]);
        await Append("waiting", [new RuleAdded("work", "r-2", "action=accept", 0)]);
        await Append("confirmed", [new PolicyPublished(1, "sha-1", 1, null)]);
        await Append("confirmed", [new PolicyPublished(2, "sha-2", 2, by), new PublishConfirmed(2)]);
        await Append("unpublished", [new ClientAdded("work", ["10.137.0.6"])]);
        var commands = new MartenSqlLog();

        await using var session = _store.LightweightSession();
        session.Logger = commands;
        var store = new MartenPolicyStore(session);
        var pending = await store.Pending(default);
        int?[] latest = [await store.LatestVersion("waiting", default), await store.LatestVersion("confirmed", default),
            await store.LatestVersion("unpublished", default), await store.LatestVersion("nobody", default)];

        Assert.Equal([new PendingPublish("waiting", 2, by)], pending);
        Assert.Equal([2, 2, 0, null], latest);
        Assert.NotEmpty(commands.Commands);
        Assert.DoesNotContain(commands.Commands, sql => DraftTable().IsMatch(sql));
    }

    [Fact]
    public async Task the_list_counts_what_the_draft_holds_after_every_kind_of_change()
    {
        var restored = new DraftContent([new ClientDraft("home", ["10.137.0.9"], [new DraftRule("r-9", "action=accept"), new DraftRule("r-10", "action=drop")])], []);
        object[][] changes =
        [
            [new ClientAdded("work", ["10.137.0.5"]), new ClientAdded("play", ["10.137.0.6"])],
            [new RuleAdded("work", "r-1", "action=drop", 0), new RuleAdded("play", "r-2", "action=drop", 0)],
            [new RulesImported("work", false, [new DraftRule("r-3", "action=accept"), new DraftRule("r-4", "action=drop")])],
            [new RulesImported("work", true, [new DraftRule("r-5", "action=accept")], ["r-1", "r-3", "r-4"])],
            [new RuleRemoved("play", "r-2", "action=drop")],
            [new RuleAdded("play", "r-6", "action=drop", 0), new ClientRemoved("work", ["10.137.0.5"], ["r-5"])],
            [new PolicyPublished(1, "sha-1", 9, null)],
            [new RuleAdded("play", "r-7", "action=drop", 0), new PolicyPublished(2, "sha-2", 11, DateTimeOffset.UtcNow.AddMinutes(5))],
            [new PublishReverted(3, 2, 1, "sha-1", 12, restored)],
            [new RuleRemoved("home", "r-9", "action=accept")],
            [new DraftRestored(3, restored)],
            [new PolicyRolledBack(4, 2, "sha-2", 15, new DraftContent([], []))],
        ];

        foreach (var change in changes)
        {
            await Append("p", change);

            await using var session = _store.LightweightSession();
            var store = new MartenPolicyStore(session);
            var draft = (await store.Load("p", default))!;
            var listed = Assert.Single(await store.List(default));
            Assert.Equal(new PolicySummary("p", draft.Version, draft.Draft.Clients.Count, draft.Draft.Clients.Sum(c => c.Rules.Count),
                draft.Publishing.LatestVersion, draft.Publishing.PendingVersion), listed);
            Assert.Equal(draft.Publishing.LatestVersion, await store.LatestVersion("p", default));
            PendingPublish[] waiting = draft.Publishing is { PendingVersion: { } version, ConfirmBy: { } by } ? [new PendingPublish("p", version, by)] : [];
            Assert.Equal(waiting, await store.Pending(default));
        }
    }

    [Fact]
    public async Task a_change_refused_by_the_projection_leaves_the_listing_as_it_was()
    {
        await Append("p", [new ClientAdded("work", ["10.137.0.5"])]);

        await using (var session = _store.LightweightSession())
        {
            // A rule for a client the policy does not have: the inline projection refuses it, and nothing is written.
            await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
                new MartenPolicyStore(session).Append("p", 2, [new RuleAdded("gone", "r-1", "action=drop", 0)], Audit, null, default));
        }

        await using var query = _store.LightweightSession();
        Assert.Equal([new PolicySummary("p", 2, 1, 0, 0, null)], await new MartenPolicyStore(query).List(default));
    }

    private async Task Append(string policy, IReadOnlyList<object> events)
    {
        await using var session = _store.LightweightSession();
        var store = new MartenPolicyStore(session);
        var at = (await store.Load(policy, default))?.Version ?? await store.Create(new PolicyCreated(policy), Audit, default);
        await store.Append(policy, at, events, Audit, null, default);
    }

    /// <summary>The drafts' table, not the listings' (whose name begins with it).</summary>
    [GeneratedRegex(@"mt_doc_policy\b")]
    private static partial Regex DraftTable();
}
