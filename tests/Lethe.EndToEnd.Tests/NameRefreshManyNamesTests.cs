using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tests.Classification;
using Lethe.PacketPath.Tests.Dns;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// README: a swap asks a name new to it before re-checking the flows, "so a new drop rule for a site does not cut
/// the client's other connections", and "an A answer does not wait for an AAAA query that goes unanswered",
/// however many names the policy holds.
/// </summary>
public sealed class NameRefreshManyNamesTests
{
    /// <summary>Answers A at once and never answers AAAA, for every name given.</summary>
    private static void AnswerOnlyA(TinyDnsServer dns, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            dns.Zone[(name, 1)] = q => [DnsWire.Response(q.Id, q.Name, q.Type, answers: [Rr.A(q.Name, "203.0.113.9")])];
            dns.Zone[(name, 28)] = _ => [];
        }
    }

    /// <param name="heldAnswerA">
    /// Whether the names the running version holds are answered for A (their AAAA queries going
    /// unanswered), or not at all (their zone's servers down).
    /// </param>
    [Theory]
    [InlineData(true, 20)]
    [InlineData(false, 16)]
    public async Task a_new_drop_rules_name_is_answered_for_both_families_before_the_swap_whatever_the_names_already_held_go_without(
        bool heldAnswerA, int held)
    {
        using var sealedByHand = new HandSealed("lethe-many-");
        var pem = await File.ReadAllTextAsync(sealedByHand.PublicKey);
        var known = Enumerable.Range(0, held).Select(i => $"site{i}.names.test").ToArray();
        const string blocked = "ads.names.test";
        VerifiedSnapshot Load(int version, params string[] rules) => SnapshotVerifier.Verify(File.ReadAllBytes(sealedByHand.Write($"v{version}.json", version,
            new SnapshotClient("work", ["10.137.0.5"], [.. rules.Select((r, i) => new SnapshotRule($"r-{i}", r))]))), pem);
        // Two resolvers, as Qubes gives (10.139.1.1 and 10.139.1.2); the new name is answered at once for both families.
        await using var first = new TinyDnsServer();
        await using var second = new TinyDnsServer();
        foreach (var dns in new[] { first, second })
        {
            if (heldAnswerA)
            {
                AnswerOnlyA(dns, known);
            }
            else
            {
                foreach (var name in known)
                {
                    dns.For(name, _ => []);
                }
            }
            dns.Answer(blocked, Rr.A(blocked, "198.51.100.66"), Rr.Aaaa(blocked, "2001:db8::66"));
        }
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([first.EndPoint, second.EndPoint], TextWriter.Null, stopping.Token);
        string[] v1 = [.. known.Select(n => $"action=accept dsthost={n} proto=tcp dstports=443"), "action=accept"];
        using var firewall = LiveFirewall.Open(Load(1, v1), new EngineOptions { DnsResolvers = [NetAddress.Parse("127.0.0.1")] }, [], 1, offload: false);
        var started = names.Start(firewall.Policy.Hosts);
        firewall.Dataplane.Start();
        if (heldAnswerA)
        {
            // The swap comes while every held name's AAAA query still waits out its tries.
            var hosts1 = firewall.Policy.Hosts;
            for (var waited = 0; known.Any(n => !hosts1.IsResolved(hosts1.Names.IdOf(n), v6: false)); waited++)
            {
                Assert.True(waited < 300, "the known names never got their A answers");
                await Task.Delay(100);
            }
        }
        else
        {
            // The swap comes after every held name was asked, with no answer, and while their retries are due.
            await started.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // Version 2: one drop rule for a site, after the rules already there.
        var line = firewall.TrySwap(Load(2, [.. v1[..^1], $"action=drop dsthost={blocked}", "action=accept"]), names.Start);
        var policy = firewall.Policy;
        var id = policy.Hosts.Names.IdOf(blocked);
        var answered = (V4: policy.Hosts.IsResolved(id, v6: false), V6: policy.Hosts.IsResolved(id, v6: true));
        var work = policy.Compiled.ClientIndex("work");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var verdict4 = policy.Compiled.Classify(work, Fixtures.Packet("192.0.2.1", 6, 443, source: "10.137.0.5"), now, policy.Hosts);
        var verdict6 = policy.Compiled.Classify(work, Fixtures.Packet("2001:db8::1", 6, 443, source: "10.137.0.5"), now, policy.Hosts);

        firewall.Dataplane.Stop();
        await stopping.CancelAsync();
        await names.Stop();
        Assert.Contains("swapped to policy home version 2", line);
        Assert.True(answered is (true, true), $"{blocked} is answered at once, yet at the swap it had A: {answered.V4}, AAAA: {answered.V6}; swap line: {line}");
        // Fail closed only while unresolved: the client's other traffic is not blocked by the new drop rule.
        Assert.Equal(DropReason.None, verdict4.Reason);
        Assert.Equal(DropReason.None, verdict6.Reason);
    }

    [Fact]
    public async Task at_boot_every_one_of_forty_names_gets_its_prompt_a_answer_within_the_wait_although_aaaa_goes_unanswered()
    {
        var blocked = Enumerable.Range(0, 40).Select(i => $"ads{i}.names.test").ToArray();
        await using var dns = new TinyDnsServer();
        AnswerOnlyA(dns, blocked);
        using var stopping = new CancellationTokenSource();
        var names = new NameRefresh([dns.EndPoint], TextWriter.Null, stopping.Token);
        var hosts = new HostTable(blocked);

        // What boot waits for before it forwards.
        await Task.WhenAny(names.Start(hosts), Task.Delay(LiveFirewall.NewNamesWait));
        var unanswered = blocked.Where(n => !hosts.IsResolved(hosts.Names.IdOf(n), v6: false)).ToList();

        await stopping.CancelAsync();
        await names.Stop();
        Assert.True(unanswered.Count == 0,
            $"every A query is answered at once, yet after {LiveFirewall.NewNamesWait.TotalSeconds:0} s these had no IPv4 answer: {string.Join(", ", unanswered)}");
    }
}
