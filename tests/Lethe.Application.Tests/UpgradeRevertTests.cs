using Lethe.Application.Ports;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RollBack;
using Lethe.Application.Rules.RemoveRule;
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
