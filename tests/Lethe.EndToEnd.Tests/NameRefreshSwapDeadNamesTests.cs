using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Classification;
using Lethe.PacketPath.Tests.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// Names the running version asked and got no answer for in either family (an intranet zone whose
/// servers are down) are not waited for at a swap, nor asked ahead of the names the new version brings.
/// </summary>
public sealed class NameRefreshSwapDeadNamesTests
{
    [Fact]
    public async Task a_new_drop_rules_name_is_answered_within_the_swap_even_when_names_already_held_go_unanswered_for_both_families()
    {
        using var sealedByHand = new HandSealed("lethe-dead-");
        var pem = await File.ReadAllTextAsync(sealedByHand.PublicKey);
        var dead = Enumerable.Range(0, 16).Select(i => $"intranet{i}.names.test").ToArray();
        const string blocked = "ads.names.test";
        VerifiedSnapshot Load(int version, params string[] rules) => SnapshotVerifier.Verify(File.ReadAllBytes(sealedByHand.Write($"v{version}.json", version,
            new SnapshotClient("work", ["10.137.0.5"], [.. rules.Select((r, i) => new SnapshotRule($"r-{i}", r))]))), pem);
        await using var first = new TinyDnsServer();
        await using var second = new TinyDnsServer();
        foreach (var dns in new[] { first, second })
        {
            foreach (var name in dead)
            {
                dns.For(name, _ => []);
            }
            dns.Answer(blocked, Rr.A(blocked, "198.51.100.66"), Rr.Aaaa(blocked, "2001:db8::66"));
        }
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([first.EndPoint, second.EndPoint], TextWriter.Null, stopping.Token);
        string[] v1 = [.. dead.Select(n => $"action=accept dsthost={n} proto=tcp dstports=443"), "action=accept"];
        using var firewall = LiveFirewall.Open(Load(1, v1), new EngineOptions { DnsResolvers = [NetAddress.Parse("127.0.0.1")] }, [], 1, offload: false);
        await names.Start(firewall.Policy.Hosts).WaitAsync(TimeSpan.FromSeconds(30));
        firewall.Dataplane.Start();

        var line = firewall.TrySwap(Load(2, [.. v1[..^1], $"action=drop dsthost={blocked}", "action=accept"]), names.Start);
        var policy = firewall.Policy;
        var id = policy.Hosts.Names.IdOf(blocked);
        var answered = (V4: policy.Hosts.IsResolved(id, v6: false), V6: policy.Hosts.IsResolved(id, v6: true));
        var verdict = policy.Compiled.Classify(policy.Compiled.ClientIndex("work"),
            Fixtures.Packet("192.0.2.1", 6, 443, source: "10.137.0.5"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), policy.Hosts);

        firewall.Dataplane.Stop();
        await stopping.CancelAsync();
        await names.Stop();
        Assert.Contains("swapped to policy home version 2", line);
        Assert.True(answered is (true, true), $"{blocked} is answered at once, yet at the swap it had A: {answered.V4}, AAAA: {answered.V6}; swap line: {line}");
        Assert.Equal(DropReason.None, verdict.Reason);
    }
}
