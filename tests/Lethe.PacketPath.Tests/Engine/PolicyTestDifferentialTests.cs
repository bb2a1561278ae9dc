using System.Net;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A policy test that passes at publish must mean the firewall does the same: random drafts and
/// flows, judged by the control plane's test runner and by the packet engine on the sealed content,
/// must agree on accept, drop or reject, and on the rule that decided.
/// </summary>
public class PolicyTestDifferentialTests
{
    private const string Resolver = "10.139.1.1";

    private static readonly string[] V4Targets = [Remote4, "192.0.2.200", "198.51.100.77", "203.0.113.1", Personal4, Resolver];
    private static readonly string[] V6Targets = [Remote6, "2001:db8:1::ff", "2001:db8:77::1"];

    private static readonly EngineOptions Small = Options with { Limits = new Lethe.PacketPath.Tracking.ConnectionLimits { Capacity = 256, PerClientQuota = 256 } };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void the_engine_and_the_policy_tests_agree_on_every_first_packet(int seed)
    {
        var random = new Random(seed);
        var disagreements = new List<string>();
        for (var round = 0; round < 150; round++)
        {
            var rules = Enumerable.Range(0, random.Next(0, 24)).Select(i => new DraftRule($"r-{i}", RandomRule(random))).ToArray();
            var tests = Enumerable.Range(0, 40).Select(i => RandomTest(random, $"t-{i}")).ToArray();
            var draft = new DraftContent(
                [new ClientDraft("work", [Work4, Work6], rules), new ClientDraft("personal", [Personal4], [new DraftRule("p-0", "action=accept")])],
                tests);
            var published = PolicyTestRunner.Run("lab", draft, Start / 1000, [IPAddress.Parse(Resolver)]);
            var compiled = CompiledPolicy.Compile(SnapshotCodec.FromDraft("lab", draft), [NetAddress.Parse(Resolver)]);
            // One engine a round, each test on a port (and echo id) of its own: no flow meets another's.
            var engine = new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), Small);
            for (var i = 0; i < published.Count; i++)
            {
                var result = published[i];
                var packet = PacketFor(result.Test, (ushort)(40000 + i));
                var outcome = engine.Process(packet, packet.Length, compiled.ClientIndex("work"), Start, new byte[2048]);
                var engineSays = outcome.Forwarded ? "accept" : outcome.Reason == DropReason.RuleReject ? "reject" : "drop";
                var testSays = result.Decision.Action switch { RuleAction.Accept => "accept", RuleAction.Reject => "reject", _ => "drop" };
                var engineRule = outcome.RuleIndex >= 0 ? rules[outcome.RuleIndex].Id : null;
                if (engineSays != testSays || (result.Decision.RuleId is { } id && engineRule != id))
                {
                    disagreements.Add($"rules [{string.Join("; ", rules.Select(r => r.Rule))}], test {result.Test}: " +
                        $"the test says {testSays} ({result.Decision.RuleId}: {result.Decision.Reason}), the engine {engineSays} ({engineRule}, {outcome.Reason})");
                }
            }
        }
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreement(s), the first: {disagreements.FirstOrDefault()}");
    }

    private static string RandomRule(Random random)
    {
        var action = random.Next(3) switch { 0 => "accept", 1 => "drop", _ => "reject" };
        var parts = new List<string> { $"action={action}" };
        switch (random.Next(5))
        {
            case 0:
                parts.Add($"dst4={V4Targets[random.Next(V4Targets.Length)]}/{random.Next(8, 33)}");
                break;
            case 1:
                parts.Add($"dst6={V6Targets[random.Next(V6Targets.Length)]}/{random.Next(16, 129)}");
                break;
            case 2:
                parts.Add("specialtarget=dns");
                break;
        }
        if (parts.Count == 2 && parts[1] == "specialtarget=dns")
        {
            return string.Join(' ', parts);
        }
        switch (random.Next(4))
        {
            case 0:
                var low = random.Next(0, 1100);
                parts.Add($"proto={(random.Next(2) == 0 ? "tcp" : "udp")} dstports={low}-{low + random.Next(0, 400)}");
                break;
            case 1:
                parts.Add(random.Next(2) == 0 ? "proto=icmp" : $"proto=icmp icmptype={(random.Next(2) == 0 ? 8 : 128)}");
                break;
            case 2:
                parts.Add(random.Next(2) == 0 ? "proto=tcp" : "proto=udp");
                break;
        }
        return string.Join(' ', parts);
    }

    private static PolicyTest RandomTest(Random random, string id)
    {
        var v6 = random.Next(3) == 0;
        var to = v6 ? V6Targets[random.Next(V6Targets.Length)] : V4Targets[random.Next(V4Targets.Length)];
        return random.Next(4) switch
        {
            0 => new PolicyTest(id, "work", to, "icmp", null, null, "accept"),
            1 => new PolicyTest(id, "work", to, "udp", random.Next(2) == 0 ? 53 : random.Next(1, 1600), null, "accept"),
            _ => new PolicyTest(id, "work", to, "tcp", random.Next(2) == 0 ? 53 : random.Next(1, 1600), null, "accept"),
        };
    }

    private static byte[] PacketFor(PolicyTest test, ushort port)
    {
        var from = test.To.Contains(':', StringComparison.Ordinal) ? Work6 : Work4;
        return test.Proto switch
        {
            "icmp" => Packets.IcmpEcho(from, test.To, id: port, sequence: 1),
            "udp" => Packets.Udp(from, test.To, port, (ushort)test.Port!.Value, payload: 8),
            _ => Packets.Tcp(from, test.To, port, (ushort)test.Port!.Value, TcpFlags.Syn),
        };
    }
}
