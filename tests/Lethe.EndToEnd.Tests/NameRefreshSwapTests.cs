using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Dns;

namespace Lethe.EndToEnd.Tests;

/// <summary>A swap asks the resolver only about the names it has no answer for; the others keep their TTL.</summary>
public sealed class NameRefreshSwapTests
{
    [Fact]
    public async Task a_swap_does_not_ask_again_the_names_both_versions_hold_before_their_ttl_runs_out()
    {
        using var sealedByHand = new HandSealed("lethe-names-");
        var pem = await File.ReadAllTextAsync(sealedByHand.PublicKey);
        var known = Enumerable.Range(0, 20).Select(i => $"site{i}.names.test").ToArray();
        VerifiedSnapshot Load(int version, params string[] extra) => SnapshotVerifier.Verify(File.ReadAllBytes(sealedByHand.Write($"v{version}.json", version,
            new SnapshotClient("work", ["10.137.0.5"], [.. known.Concat(extra).Select((n, i) => new SnapshotRule($"r-{i}", $"action=accept dsthost={n}"))]))), pem);
        await using var dns = new TinyDnsServer();
        foreach (var name in known.Append("new.names.test"))
        {
            dns.Answer(name, Rr.A(name, "203.0.113.9", ttl: 3600), Rr.Aaaa(name, "2001:db8:3::9", ttl: 3600));
        }
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([dns.EndPoint], TextWriter.Null, stopping.Token);
        using var firewall = LiveFirewall.Open(Load(1), new EngineOptions(), [], 1, offload: false);
        await names.Start(firewall.Policy.Hosts);
        firewall.Dataplane.Start();
        var before = dns.Seen.Count;

        var line = firewall.TrySwap(Load(2, "new.names.test"), names.Start);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var asked = dns.Seen.Skip(before).Select(q => q.Name).Distinct().Order().ToList();

        firewall.Dataplane.Stop();
        await stopping.CancelAsync();
        await names.Stop();
        Assert.Contains("swapped to policy home version 2", line);
        Assert.Equal(["new.names.test"], asked);
    }
}
