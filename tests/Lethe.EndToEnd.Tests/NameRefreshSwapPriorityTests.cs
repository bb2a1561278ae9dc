using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Classification;
using Lethe.PacketPath.Tests.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A swap asks the names it has no answer for at all ahead of the families the names it holds are
/// still missing: those may go unanswered for longer than the swap waits.
/// </summary>
public sealed class NameRefreshSwapPriorityTests
{
    [Fact]
    public async Task a_new_drop_rules_name_is_asked_for_aaaa_ahead_of_the_unanswered_aaaa_queries_of_the_names_already_held()
    {
        using var sealedByHand = new HandSealed("lethe-fam-");
        var pem = await File.ReadAllTextAsync(sealedByHand.PublicKey);
        var known = Enumerable.Range(0, 20).Select(i => $"site{i}.names.test").ToArray();
        const string blocked = "ads.names.test";
        VerifiedSnapshot Load(int version, params string[] rules) => SnapshotVerifier.Verify(File.ReadAllBytes(sealedByHand.Write($"v{version}.json", version,
            new SnapshotClient("work", ["10.137.0.5"], [.. rules.Select((r, i) => new SnapshotRule($"r-{i}", r))]))), pem);
        // Two resolvers, as Qubes gives; the known names' AAAA queries go unanswered (their zone's
        // servers drop them), while ads.names.test is answered at once for both families.
        await using var first = new TinyDnsServer();
        await using var second = new TinyDnsServer();
        foreach (var dns in new[] { first, second })
        {
            foreach (var name in known)
            {
                dns.Zone[(name, 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A(q.Name, "203.0.113.9")])];
                dns.Zone[(name, 28)] = _ => [];
            }
            dns.Answer(blocked, Rr.A(blocked, "198.51.100.66"), Rr.Aaaa(blocked, "2001:db8::66"));
        }
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([first.EndPoint, second.EndPoint], TextWriter.Null, stopping.Token);
        string[] v1 = [.. known.Select(n => $"action=accept dsthost={n} proto=tcp dstports=443"), "action=accept"];
        using var firewall = LiveFirewall.Open(Load(1, v1), new EngineOptions { DnsResolvers = [NetAddress.Parse("127.0.0.1")] }, [], 1, offload: false);
        _ = names.Start(firewall.Policy.Hosts);
        firewall.Dataplane.Start();
        var hosts1 = firewall.Policy.Hosts;
        for (var waited = 0; known.Any(n => !hosts1.IsResolved(hosts1.Names.IdOf(n), v6: false)); waited++)
        {
            Assert.True(waited < 300, "the known names never got their A answers");
            await Task.Delay(100);
        }

        // Version 2: one drop rule for a site, while every known name's AAAA query still waits out its tries.
        var line = firewall.TrySwap(Load(2, [.. v1[..^1], $"action=drop dsthost={blocked}", "action=accept"]), names.Start);
        var policy = firewall.Policy;
        var answeredV6 = policy.Hosts.IsResolved(policy.Hosts.Names.IdOf(blocked), v6: true);
        var verdict = policy.Compiled.Classify(policy.Compiled.ClientIndex("work"),
            Fixtures.Packet("2001:db8::1", 6, 443, source: "10.137.0.5"), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), policy.Hosts);

        firewall.Dataplane.Stop();
        await stopping.CancelAsync();
        await names.Stop();
        Assert.Contains("swapped to policy home version 2", line);
        Assert.True(answeredV6, $"{blocked}'s AAAA query is answered at once, yet the swap had no IPv6 answer for it; swap line: {line}");
        // Fail closed only while unresolved: the client's other IPv6 traffic is not blocked by the new drop rule.
        Assert.Equal(DropReason.None, verdict.Reason);
    }
}
