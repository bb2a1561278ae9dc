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
        var snapshot = Snapshots.Seal(key, Draft(clients: 1, rulesPerClient: 70_000));

        var refused = Assert.Throws<DomainException>(() => SnapshotLimits.Check(snapshot, 1));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("a firewall reads at most 16 MiB", refused.Message);
        Assert.True(SnapshotCodec.ToFile(snapshot).Length > SnapshotLimits.MaxFileBytes);
    }

    [Fact]
    public void a_snapshot_within_the_limits_passes()
    {
        using var key = Snapshots.NewKey();
        var snapshot = Snapshots.Seal(key, Draft(clients: 3, rulesPerClient: 100));

        SnapshotLimits.Check(snapshot, 3);
    }

    [Fact]
    public void more_clients_than_a_firewall_tells_apart_are_refused()
    {
        using var key = Snapshots.NewKey();
        var snapshot = Snapshots.Seal(key, Draft(clients: 1, rulesPerClient: 1));

        var refused = Assert.Throws<DomainException>(() => SnapshotLimits.Check(snapshot, SnapshotLimits.MaxClients + 1));

        Assert.Contains($"{SnapshotLimits.MaxClients + 1} clients", refused.Message);
        SnapshotLimits.Check(snapshot, SnapshotLimits.MaxClients);
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
