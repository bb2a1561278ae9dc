using Lethe.Application.History.GetHistory;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Ports;
using Lethe.Application.Publishing.Confirm;
using Lethe.Application.Publishing.FindOverdue;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Lethe.Application.Publishing.RollBack;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.RemoveRule;
using Lethe.Application.Snapshots.GetSnapshot;
using Lethe.Domain;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Application.Tests;

/// <summary>A log an earlier build wrote (it took rules this one refuses), read by this build after an upgrade.</summary>
public sealed class UpgradeRevertTests
{
    private const string OddRule = "action=drop dsthost=example.10"; // taken before 51718d4's check, refused now
    private const string OddRuleId = "r-0a0a0a0a0a";
    private const string Https = "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443";
    private const string HttpsId = "r-0b0b0b0b0b";
    private const string Watchdog = "lethe (confirmation watchdog)";

    [Fact]
    public async Task a_commit_confirmed_publish_that_straddles_an_upgrade_leaves_a_way_to_revert_confirm_or_publish()
    {
        await using var host = await ApplicationHost.Start();
        await using (var old = await OldBuild(host))
        {
            await old.PublishedWithOddRule();
            await old.PublishedWithoutItOnTrial(host.Clock.GetUtcNow().AddMinutes(5));
        }
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        var icmp = await host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "while version 2 is overdue"));

        var outcome = await host.Send(new RevertUnconfirmed("home"), Watchdog);

        // Version 1 can never be restored, so version 2 stays: recorded, and no longer overdue.
        Assert.Null(outcome?.Published);
        Assert.Equal((2, 1), (outcome?.Abandoned?.Version, outcome?.Abandoned?.ToVersion));
        var publishing = (await host.Ask(new GetPolicy("home"))).Publishing;
        Assert.Equal((2, 2, null, null), (publishing.LatestVersion, publishing.ConfirmedVersion, publishing.PendingVersion, publishing.ConfirmBy));
        Assert.Empty(await host.Ask(new FindOverdue()));
        Assert.Null(await host.Send(new RevertUnconfirmed("home"), Watchdog));
        Assert.Equal(2, (await host.Ask(new GetSnapshot("home", "latest"))).Version); // nothing sealed: firewalls keep version 2
        var entry = (await host.Ask(new GetHistory("home"))).Entries[^1];
        Assert.Equal((Watchdog, "not confirmed in time; version 1 cannot be restored", 2), (entry.Actor, entry.Reason, entry.Version));
        Assert.Equal(
            $"version 2 not confirmed in time, but version 1 holds rule {OddRuleId} of client work ({OddRule}), which this build no longer reads, so it cannot be restored: version 2 stays, confirmed",
            entry.Summary);

        await host.Send(new AddRule("home", "work", "action=drop proto=udp", null, "after the upgrade"));
        Assert.Equal([HttpsId, icmp.Id], (await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules.Take(2).Select(r => r.Id));
        var published = await host.Send(new Publish("home", "after the upgrade", TimeSpan.FromMinutes(5))); // version 2 is the one to return to
        var confirmed = await host.Send(new Confirm("home", "keep it"));
        var rolledBack = await host.Send(new RollBack("home", 2, "back to what the watchdog kept"));

        Assert.Equal((3, 3, 4), (published.Version, confirmed.ConfirmedVersion, rolledBack.Version));
    }

    [Fact]
    public async Task a_rollback_to_a_version_holding_a_rule_this_build_refuses_names_the_version_not_a_draft_fix()
    {
        await using var host = await ApplicationHost.Start();
        await using (var old = await OldBuild(host))
        {
            await old.PublishedWithOddRule();
        }
        await host.Send(new RemoveRule("home", OddRuleId, "this build refuses it"));
        await host.Send(new Publish("home", "v2 without the odd rule"));
        var events = await host.EventCount();

        var refused = await Assert.ThrowsAsync<DomainException>(() => host.Send(new RollBack("home", 1, "back to v1")));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.StartsWith($"Version 1 of policy home holds rule {OddRuleId} of client work ({OddRule}), which this build no longer reads", refused.Message);
        Assert.DoesNotContain("replace or remove it", refused.Message);
        Assert.Equal(events, await host.EventCount());
    }

    /// <summary>Writes the policy's log as the earlier build did, through the same store.</summary>
    private static async Task<OldBuildLog> OldBuild(ApplicationHost host)
    {
        var documents = DocumentStore.For(o => LetheStoreOptions.Configure(o, host.Database.ConnectionString, createSchema: false));
        return new OldBuildLog(documents, documents.LightweightSession());
    }

    private sealed class OldBuildLog(IDocumentStore documents, IDocumentSession session) : IAsyncDisposable
    {
        private static readonly AuditStamp Audit = new("alice", "before the upgrade", "old-build");
        private readonly MartenPolicyStore _store = new(session);

        /// <summary>Version 1 (plain) of policy home, holding <see cref="OddRule"/> and <see cref="Https"/>; the log at stream version 4.</summary>
        public async Task PublishedWithOddRule()
        {
            await _store.Create(new PolicyCreated("home"), Audit, default);
            await _store.Append("home", 1, [new ClientAdded("work", ["10.137.0.5"])], Audit, null, default);
            await _store.Append("home", 2, [new RuleAdded("work", OddRuleId, OddRule, 0)], Audit, null, default);
            await _store.Append("home", 3, [new RuleAdded("work", HttpsId, Https, 1)], Audit, null, default);
            DraftRule[] rules = [new(OddRuleId, OddRule), new(HttpsId, Https)];
            var v1 = Sealed(1, 4, rules);
            await _store.Append("home", 4, [new PolicyPublished(1, v1.ContentSha256, 4, null)], Audit, new StoredSnapshot(v1, Draft(rules)), default);
        }

        /// <summary>After <see cref="PublishedWithOddRule"/>: the odd rule removed and version 2 published to be confirmed by <paramref name="confirmBy"/>.</summary>
        public async Task PublishedWithoutItOnTrial(DateTimeOffset confirmBy)
        {
            await _store.Append("home", 5, [new RuleRemoved("work", OddRuleId, OddRule)], Audit, null, default);
            DraftRule[] rules = [new(HttpsId, Https)];
            var v2 = Sealed(2, 6, rules);
            await _store.Append("home", 6, [new PolicyPublished(2, v2.ContentSha256, 6, confirmBy)], Audit, new StoredSnapshot(v2, Draft(rules)), default);
        }

        public async ValueTask DisposeAsync()
        {
            await session.DisposeAsync();
            documents.Dispose();
        }

        private static DraftContent Draft(DraftRule[] rules) => new([new ClientDraft("work", ["10.137.0.5"], rules)], []);

        /// <summary>Sealed as the earlier build sealed (another key than this control plane's).</summary>
        private static SealedSnapshot Sealed(int version, long logPosition, DraftRule[] rules)
        {
            var content = SnapshotCodec.ToBytes(new SnapshotContent(SnapshotContent.CurrentFormat, "home",
                [new SnapshotClient("work", ["10.137.0.5"], rules.Select(r => new SnapshotRule(r.Id, r.Rule)).ToArray())]));
            return SnapshotSealer.Seal(content, "home", version, logPosition, DateTimeOffset.UnixEpoch.AddYears(56), "0123456789abcdef", _ => new byte[64]);
        }
    }
}
