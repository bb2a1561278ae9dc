using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Domain.Tests;

/// <summary>The control plane seals nothing a firewall would refuse to read.</summary>
public class SnapshotLimitsTests
{
    private static DraftContent Draft(int clients, int rulesPerClient, int commentLength = 0) => new(
        [.. Enumerable.Range(0, clients).Select(c => new ClientDraft($"c{c}", [$"10.{c / 65536 % 256}.{c / 256 % 256}.{c % 256}"],
            [.. Enumerable.Range(0, rulesPerClient).Select(r => new DraftRule($"r{c}-{r}",
                $"action=accept dsthost={new string('a', 60)}.{new string('b', 60)}.{new string('c', 60)}.example proto=tcp dstports={r % 65535 + 1}" +
                (commentLength > 0 ? $" comment={new string('x', commentLength)}" : "")))]))],
        []);

    [Fact]
    public void a_snapshot_larger_than_a_firewall_reads_is_refused_naming_both_sizes()
    {
        using var key = Snapshots.NewKey();
        var draft = Draft(clients: 10, rulesPerClient: 7_000);
        var snapshot = Snapshots.Seal(key, draft);

        var refused = Assert.Throws<DomainException>(() => SnapshotLimits.Check(snapshot, draft));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("a firewall reads at most 16 MiB", refused.Message);
        Assert.True(SnapshotCodec.ToFile(snapshot).Length > SnapshotLimits.MaxFileBytes);
    }

    [Fact]
    public void a_snapshot_within_the_limits_passes()
    {
        using var key = Snapshots.NewKey();
        var draft = Draft(clients: 3, rulesPerClient: 100);

        SnapshotLimits.Check(Snapshots.Seal(key, draft), draft);
    }

    [Fact]
    public void more_clients_than_a_firewall_tells_apart_are_refused()
    {
        using var key = Snapshots.NewKey();
        var tooMany = Draft(clients: SnapshotLimits.MaxClients + 1, rulesPerClient: 0);
        var most = new DraftContent(tooMany.Clients.Take(SnapshotLimits.MaxClients).ToList(), []);

        var refused = Assert.Throws<DomainException>(() => SnapshotLimits.Check(Snapshots.Seal(key, tooMany), tooMany));

        Assert.Contains($"{SnapshotLimits.MaxClients + 1} clients", refused.Message);
        SnapshotLimits.Check(Snapshots.Seal(key, most), most);
    }

    [Fact]
    public void more_rules_in_one_client_than_a_firewall_takes_are_refused_naming_the_client()
    {
        using var key = Snapshots.NewKey();
        var draft = new DraftContent(
        [
            new ClientDraft("small", ["10.0.0.1"], [new DraftRule("r", "action=accept")]),
            new ClientDraft("blocklist", ["10.0.0.2"], [.. Enumerable.Range(0, SnapshotLimits.MaxRulesPerClient + 1)
                .Select(i => new DraftRule($"r{i}", $"action=drop dst4=172.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"))]),
        ], []);
        var most = draft with { Clients = [draft.Clients[0], draft.Clients[1] with { Rules = draft.Clients[1].Rules.Skip(1).ToList() }] };

        var refused = Assert.Throws<DomainException>(() => SnapshotLimits.Check(Snapshots.Seal(key, draft), draft));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains($"Client blocklist of policy p has {SnapshotLimits.MaxRulesPerClient + 1} rules; a firewall takes at most {SnapshotLimits.MaxRulesPerClient} per client", refused.Message);
        SnapshotLimits.Check(Snapshots.Seal(key, most), most);
    }

    [Fact]
    public void a_signed_snapshot_with_more_rules_in_one_client_than_a_firewall_takes_does_not_verify()
    {
        using var key = Snapshots.NewKey();
        var file = Snapshots.File(key, new DraftContent([new ClientDraft("blocklist", ["10.0.0.2"], [.. Enumerable.Range(0, SnapshotLimits.MaxRulesPerClient + 1)
            .Select(i => new DraftRule($"r{i}", $"action=drop dst4=172.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"))])], []));

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(file, Snapshots.Pem(key)));

        Assert.Equal($"client blocklist has {SnapshotLimits.MaxRulesPerClient + 1} rules; a firewall takes at most {SnapshotLimits.MaxRulesPerClient} per client", refused.Message);
    }

    [Fact]
    public void a_signed_snapshot_of_more_clients_than_a_firewall_holds_does_not_verify()
    {
        using var key = Snapshots.NewKey();
        var file = Snapshots.File(key, Draft(clients: SnapshotLimits.MaxClients + 1, rulesPerClient: 0));

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(file, Snapshots.Pem(key)));

        Assert.Contains($"{SnapshotLimits.MaxClients + 1} clients", refused.Message);
    }
}
