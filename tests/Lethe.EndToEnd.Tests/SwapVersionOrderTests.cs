using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Engine;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A running firewall takes only newer versions. A genuine, validly signed older one (a lagging
/// replica, a replayed file) would open what a later version withdrew.
/// </summary>
public sealed class SwapVersionOrderTests
{
    [Fact]
    public void a_genuine_older_version_is_refused_and_the_newer_one_keeps_running()
    {
        using var sealedByHand = new HandSealed("lethe-older-");
        var pem = File.ReadAllText(sealedByHand.PublicKey);
        VerifiedSnapshot Load(int version, string rule) => SnapshotVerifier.Verify(File.ReadAllBytes(sealedByHand.Write($"v{version}.json", version,
            new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", rule)]))), pem);
        var wide = Load(1, "action=accept");
        var narrow = Load(2, "action=drop");
        using var firewall = LiveFirewall.Open(narrow, new EngineOptions(), [], 1, offload: false);
        firewall.Dataplane.Start();

        var line = firewall.TrySwap(wide, _ => Task.CompletedTask);

        firewall.Dataplane.Stop();
        Assert.Equal("keeping version 2: version 1 is not newer", line);
        Assert.Equal(2, firewall.Policy.Version);
        Assert.Equal(narrow.Envelope.ContentSha256, firewall.ContentSha256);
    }
}
