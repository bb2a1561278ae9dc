using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using CsCheck;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Wire;
using Xunit.Abstractions;
using static Lethe.PacketPath.Tests.Classification.Fixtures;

namespace Lethe.PacketPath.Tests.Classification;

/// <summary>
/// The compiled classifier against the Domain's reference evaluator, for thousands of random
/// policies and packets: same action, same deciding rule id, and the matching drop reason.
/// Addresses, ports and ICMP types come from small shared universes, so rule networks, client
/// addresses, resolvers, host answers and packet destinations hit each other often.
/// </summary>
public sealed class CompiledPolicyPropertyTests(ITestOutputHelper output)
{
    private const int Policies = 5000;
    private const int PacketsPerPolicy = 40;

    private static readonly string[] HostNamePool = ["a.example", "b.example", "c.example", "d.example"];
    private static readonly string[] V4Bases = ["10.137.0.", "10.137.1.", "192.0.2.", "10.139.1."];
    private static readonly string[] V6Bases = ["fd00::", "fd00:0:0:1::", "2001:db8::"];

    private static readonly Gen<string> V4 = Gen.Frequency(
        (8, Gen.Select(Gen.Int[0, V4Bases.Length - 1], Gen.Frequency((6, Gen.Int[0, 7]), (1, Gen.Int[0, 255])), (b, x) => V4Bases[b] + x)),
        (1, Gen.UInt.Select(u => new IPAddress(BitConverter.GetBytes(u)).ToString())));

    private static readonly Gen<string> V6 = Gen.Frequency(
        (8, Gen.Select(Gen.Int[0, V6Bases.Length - 1], Gen.Frequency((6, Gen.Int[0, 7]), (1, Gen.Int[0, 65535])),
            (b, x) => V6Bases[b] + x.ToString("x", CultureInfo.InvariantCulture))),
        (1, Gen.Byte.Array[16].Select(bytes => new IPAddress(bytes).ToString())));

    private static readonly Gen<string> AnyAddress = Gen.Frequency((3, V4), (2, V6));

    private static readonly Gen<int> V4Prefix = Gen.Frequency(
        (3, Gen.Const(32)), (3, Gen.Const(24)), (1, Gen.Const(16)), (1, Gen.Const(8)), (1, Gen.Const(0)), (2, Gen.Int[0, 32]));

    private static readonly Gen<int> V6Prefix = Gen.Frequency(
        (3, Gen.Const(128)), (2, Gen.Const(120)), (2, Gen.Const(64)), (1, Gen.Const(0)), (2, Gen.Int[0, 128]));

    /// <summary>Rule bounds and packet ports share this pool, so bounds ±1 are hit.</summary>
    private static readonly Gen<int> Port = Gen.Frequency(
        (8, Gen.OneOf(0, 1, 21, 22, 23, 52, 53, 54, 79, 80, 81, 442, 443, 444, 1023, 1024, 1025, 8080, 65534, 65535)),
        (1, Gen.Int[0, 65535]));

    private static readonly Gen<int> IcmpType = Gen.Frequency(
        (6, Gen.OneOf(0, 3, 8, 11, 128, 129, 135, 136, 255)),
        (1, Gen.Int[0, 255]));

    private static readonly Gen<string> Destination = Gen.Frequency(
        (4, Gen.Const("")),
        (4, Gen.Select(V4, V4Prefix, (a, p) => $" dst4={a}/{p}")),
        (1, V4.Select(a => $" dst4={a}")),
        (3, Gen.Select(V6, V6Prefix, (a, p) => $" dst6={a}/{p}")),
        (2, Gen.OneOf(HostNamePool).Select(h => $" dsthost={h}")),
        (1, AnyAddress.Select(a => $" dsthost={a}")));

    private static readonly Gen<string> RuleText = RuleTextWith(Destination);

    private static Gen<string> RuleTextWith(Gen<string> destination) => Gen.Select(
        Gen.Frequency((5, Gen.Const("accept")), (3, Gen.Const("drop")), (2, Gen.Const("reject"))),
        destination,
        Gen.Frequency((3, Gen.Const("")), (3, Gen.Const("tcp")), (2, Gen.Const("udp")), (2, Gen.Const("icmp"))),
        Gen.Frequency((1, Gen.Const((-1, -1))), (1, Gen.Select(Port, Port, (a, b) => (Math.Min(a, b), Math.Max(a, b)))), (1, Port.Select(p => (p, p)))),
        Gen.Frequency((3, Gen.Const(-1)), (2, IcmpType)),
        Gen.Int[0, 99],
        Gen.Frequency((4, Gen.Const(int.MinValue)), (1, Gen.Int[-3, 3])),
        (action, destination, proto, ports, icmpType, dnsRoll, expireOffset) =>
        {
            var dns = dnsRoll < 15 && proto != "icmp";
            // specialtarget=dns takes dstports=53 or none (a rule with others is refused, as Qubes ignores it).
            var usePorts = proto is "tcp" or "udp" && ports.Item1 >= 0 && (!dns || (ports.Item1 <= 53 && ports.Item2 >= 53));
            if (dns && usePorts)
            {
                ports = (53, 53);
            }
            var text = "action=" + action;
            if (expireOffset != int.MinValue)
            {
                text += $" expire={Now + expireOffset}";
            }
            text += destination;
            if (proto.Length > 0)
            {
                text += " proto=" + proto;
            }
            if (dns)
            {
                text += " specialtarget=dns";
            }
            if (usePorts)
            {
                text += ports.Item1 == ports.Item2 && dnsRoll % 2 == 0 ? $" dstports={ports.Item1}" : $" dstports={ports.Item1}-{ports.Item2}";
            }
            if (proto == "icmp" && icmpType >= 0)
            {
                text += $" icmptype={icmpType}";
            }
            return text;
        });

    private static readonly Gen<(string[] Addresses, string[] Rules)> ClientGen =
        Gen.Select(AnyAddress.Array[1, 3], RuleText.Array[0, 60]);

    /// <summary>
    /// <paramref name="Target"/>: 0 sends to <paramref name="Destination"/>; 1, 2, 3 send to one of
    /// the clients' addresses, the resolvers or the host answers (picked by <paramref name="Pick"/>).
    /// </summary>
    private sealed record PacketSpec(int Client, string Destination, int Target, int Pick, byte Protocol, int Port, int IcmpType, int NowOffset);

    private static readonly Gen<PacketSpec> PacketGen = Gen.Select(
        Gen.Int[0, 3],
        AnyAddress,
        Gen.Frequency((5, Gen.Const(0)), (3, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3))),
        Gen.Int[0, 1000],
        Gen.Frequency((4, Gen.Const((byte)6)), (3, Gen.Const((byte)17)), (2, Gen.Const((byte)1)), (2, Gen.Const((byte)58)), (1, Gen.Const((byte)47))),
        Port,
        IcmpType,
        Gen.Frequency((4, Gen.Const(0)), (1, Gen.Int[-3, 3])),
        (client, destination, target, pick, protocol, port, icmpType, nowOffset) =>
            new PacketSpec(client, destination, target, pick, protocol, port, icmpType, nowOffset));

    /// <summary>Per host name: null = unresolved, empty = resolved to nothing, else the answer.</summary>
    private static readonly Gen<string[]?> HostAnswer = Gen.Frequency(
        (1, Gen.Const((string[]?)null)),
        (2, Gen.Const<string[]?>([])),
        (9, AnyAddress.Array[1, 3].Select(a => (string[]?)a)));

    private enum Family { Both, V4Only, V6Only }

    /// <summary>Which families an answer covers: the resolver asks A and AAAA apart, and either may fail.</summary>
    private static readonly Gen<Family> HostFamily = Gen.Frequency(
        (4, Gen.Const(Family.Both)), (1, Gen.Const(Family.V4Only)), (1, Gen.Const(Family.V6Only)));

    private sealed record Scenario(
        (string[] Addresses, string[] Rules)[] Clients,
        string[] Resolvers,
        string[]?[] Hosts,
        Family[] HostFamilies,
        PacketSpec[] Packets,
        bool ForeignNameTable);

    private static readonly Gen<Scenario> ScenarioGen = Gen.Select(
        ClientGen.Array[1, 4],
        Gen.Select(V4.Array[1, 2], V6.Array[0, 1], (a, b) => a.Concat(b).ToArray()),
        HostAnswer.Array[HostNamePool.Length],
        HostFamily.Array[HostNamePool.Length],
        PacketGen.Array[PacketsPerPolicy],
        Gen.Bool,
        (clients, resolvers, hosts, families, packets, foreign) => new Scenario(clients, resolvers, hosts, families, packets, foreign));

    private static SnapshotContent Content((string[] Addresses, string[] Rules)[] clients) =>
        new(SnapshotContent.CurrentFormat, "random",
            clients.Select((c, ci) => new SnapshotClient(
                $"client{ci}",
                c.Addresses,
                c.Rules.Select((text, ri) => new SnapshotRule($"c{ci}-r{ri}", text)).ToArray())).ToArray());

    [Fact]
    public void compiled_classifier_gives_the_reference_evaluators_verdict_and_rule_for_random_policies_and_packets()
    {
        var policies = 0L;
        var packets = 0L;
        var reasons = new ConcurrentDictionary<DropReason, int>();

        ScenarioGen.Sample(scenario =>
        {
            var content = Content(scenario.Clients);
            // ToModel parses every rule text with RuleParser.Parse, which throws (naming the key) on
            // any text that does not parse, so the generated texts are checked here as well.
            var model = SnapshotCodec.ToModel(content);
            var resolvers = scenario.Resolvers.Select(Address).ToArray();
            var compiled = CompiledPolicy.Compile(content, resolvers);

            var hosts = scenario.ForeignNameTable
                ? new HostTable(["zz.example", .. HostNamePool.Reverse()])
                : compiled.CreateHostTable();
            for (var h = 0; h < HostNamePool.Length; h++)
            {
                if (scenario.Hosts[h] is { } answer)
                {
                    // A failed A or AAAA query leaves the name unresolved for that family only.
                    hosts.Set(HostNamePool[h], answer.Select(Address).ToArray(), v4: scenario.HostFamilies[h] != Family.V6Only, v6: scenario.HostFamilies[h] != Family.V4Only);
                }
            }

            // The reference's view of the same data: resolvers and answers as IPAddress values.
            var baseEnvironment = Environment(Now, resolvers, hosts);
            foreach (var spec in scenario.Packets)
            {
                var client = spec.Client % compiled.ClientCount;
                var packet = Packet(Target(scenario, spec), spec.Protocol, (ushort)spec.Port, (byte)spec.IcmpType, source: scenario.Clients[client].Addresses[0]);
                var now = Now + spec.NowOffset;

                var expected = ReferenceEvaluator.Evaluate(model, compiled.ClientName(client), Query(packet), baseEnvironment with { NowUnix = now });
                var actual = compiled.Classify(client, packet, now, hosts);
                var linear = compiled.ClassifyLinear(client, packet, now, hosts);

                Assert.Equal(expected.Action, actual.Action);
                Assert.Equal(expected.RuleId, RuleIdOf(compiled, client, actual));
                Assert.Equal(ExpectedReason(expected), actual.Reason);
                Assert.Equal(actual, linear);
                reasons.AddOrUpdate(actual.Reason, 1, (_, n) => n + 1);
                Interlocked.Increment(ref packets);
            }
            Interlocked.Increment(ref policies);
        }, iter: Policies, print: Print);

        output.WriteLine($"{policies} policies, {packets} packets; outcomes: {string.Join(", ", reasons.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"))}");
        Assert.True(policies >= Policies);
        Assert.True(packets >= Policies * PacketsPerPolicy);
        // The generator reaches every outcome, so the comparison above is not vacuous.
        foreach (var reason in new[] { DropReason.None, DropReason.RuleDrop, DropReason.RuleReject, DropReason.NoRuleMatched, DropReason.ClientIsolated, DropReason.DsthostUnresolved })
        {
            Assert.True(reasons.GetValueOrDefault(reason) > 100, $"{reason} was reached only {reasons.GetValueOrDefault(reason)} times");
        }
    }

    /// <summary>Answers drawn from few addresses, so names share them and one change moves an address between names.</summary>
    private static readonly Gen<string> SharedAddress = Gen.OneOf("192.0.2.1", "192.0.2.2", "192.0.2.3", "10.137.0.5", "2001:db8::1", "2001:db8::2", "fd00::5");

    private static readonly Gen<string[]?> ChangingAnswer = Gen.Frequency(
        (1, Gen.Const((string[]?)null)),
        (1, Gen.Const<string[]?>([])),
        (8, Gen.Frequency((3, SharedAddress), (1, AnyAddress)).Array[1, 4].Select(a => (string[]?)a)));

    /// <summary>
    /// One change to the answers: <paramref name="Answer"/> null removes the name (unresolved again); <paramref name="Repeat"/>
    /// publishes the name's current answer once more; <paramref name="Swap"/> carries every answer over to a new table, as a policy
    /// swap does (of this policy's names, or of another version's).
    /// </summary>
    private sealed record Change(int Name, string[]? Answer, Family Families, bool Repeat, int Swap);

    private static readonly Gen<Change> ChangeGen = Gen.Select(
        Gen.Int[0, HostNamePool.Length - 1],
        ChangingAnswer,
        HostFamily,
        Gen.Frequency((5, Gen.Const(false)), (1, Gen.Const(true))),
        Gen.Frequency((8, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2))),
        (name, answer, families, repeat, swap) => new Change(name, answer, families, repeat, swap));

    /// <summary>Rules naming hosts more often than <see cref="Destination"/> does, so dsthost rules sit past the 64th bit and at word boundaries.</summary>
    private static readonly Gen<string> HostHeavyDestination = Gen.Frequency(
        (3, Destination),
        (2, Gen.OneOf(HostNamePool).Select(h => $" dsthost={h}")));

    private sealed record ChangingScenario(
        (string[] Addresses, string[] Rules)[] Clients,
        string[] Resolvers,
        string[][] Initial,
        Change[] Changes,
        PacketSpec[] Packets,
        bool ForeignNameTable);

    private static readonly Gen<ChangingScenario> ChangingScenarioGen = Gen.Select(
        Gen.Select(Gen.Frequency((3, AnyAddress), (1, SharedAddress)).Array[1, 2], RuleTextWith(HostHeavyDestination).Array[0, 200]).Array[1, 3],
        Gen.Select(V4.Array[1, 2], V6.Array[0, 1], (a, b) => a.Concat(b).ToArray()),
        Gen.Frequency((3, SharedAddress), (1, AnyAddress)).Array[0, 3].Array[HostNamePool.Length],
        ChangeGen.Array[1, 12],
        PacketGen.Array[24],
        Gen.Bool,
        (clients, resolvers, initial, changes, packets, foreign) => new ChangingScenario(clients, resolvers, initial, changes, packets, foreign));

    [Fact]
    public void compiled_classifier_agrees_with_the_reference_as_answers_change_move_between_names_and_are_carried_over_a_swap()
    {
        var policies = 0L;
        var pastFirstWord = 0L;
        var reasons = new ConcurrentDictionary<DropReason, int>();

        ChangingScenarioGen.Sample(scenario =>
        {
            var content = Content(scenario.Clients);
            var model = SnapshotCodec.ToModel(content);
            var resolvers = scenario.Resolvers.Select(Address).ToArray();
            var compiled = CompiledPolicy.Compile(content, resolvers);
            var hosts = scenario.ForeignNameTable ? new HostTable(["zz.example", .. HostNamePool.Reverse()]) : compiled.CreateHostTable();
            // Every address any answer ever held: a destination an answer has left must no longer match its name.
            var targets = scenario.Changes.SelectMany(c => c.Answer ?? []).Concat(scenario.Initial.SelectMany(a => a))
                .Concat(scenario.Clients.SelectMany(c => c.Addresses)).ToArray();
            for (var h = 0; h < HostNamePool.Length; h++)
            {
                hosts.Set(HostNamePool[h], scenario.Initial[h].Select(Address).ToArray());
            }

            foreach (var change in scenario.Changes)
            {
                var name = HostNamePool[change.Name];
                if (change.Swap == 1)
                {
                    var next = compiled.CreateHostTable();
                    next.CopyFrom(hosts);
                    hosts = next;
                }
                else if (change.Swap == 2)
                {
                    var next = new HostTable(["yy.example", .. HostNamePool]);
                    next.CopyFrom(hosts);
                    hosts = next;
                }
                else if (change.Repeat)
                {
                    var id = hosts.Names.IdOf(name);
                    foreach (var v6 in new[] { false, true })
                    {
                        if (id >= 0 && hosts.IsResolved(id, v6))
                        {
                            hosts.Set(name, hosts.Answers(id, v6).ToArray(), v4: !v6, v6: v6);
                        }
                    }
                }
                else if (change.Answer is null)
                {
                    hosts.Remove(name);
                }
                else
                {
                    hosts.Set(name, change.Answer.Select(Address).ToArray(), v4: change.Families != Family.V6Only, v6: change.Families != Family.V4Only);
                }

                var environment = Environment(Now, resolvers, hosts);
                foreach (var spec in scenario.Packets)
                {
                    var client = spec.Client % compiled.ClientCount;
                    var destination = spec.Target == 0 || targets.Length == 0 ? spec.Destination : targets[spec.Pick % targets.Length];
                    var packet = Packet(destination, spec.Protocol, (ushort)spec.Port, (byte)spec.IcmpType, source: scenario.Clients[client].Addresses[0]);
                    var now = Now + spec.NowOffset;

                    var expected = ReferenceEvaluator.Evaluate(model, compiled.ClientName(client), Query(packet), environment with { NowUnix = now });
                    var actual = compiled.Classify(client, packet, now, hosts);

                    Assert.Equal(expected.Action, actual.Action);
                    Assert.Equal(expected.RuleId, RuleIdOf(compiled, client, actual));
                    Assert.Equal(ExpectedReason(expected), actual.Reason);
                    reasons.AddOrUpdate(actual.Reason, 1, (_, n) => n + 1);
                    if (actual.RuleIndex >= 64 && actual.Reason != DropReason.DsthostUnresolved)
                    {
                        Interlocked.Increment(ref pastFirstWord);
                    }
                }
            }
            Interlocked.Increment(ref policies);
        }, iter: 2000, print: PrintChanging);

        output.WriteLine($"{policies} policies, {pastFirstWord} decided past the 64th rule; outcomes: {string.Join(", ", reasons.OrderBy(r => r.Key).Select(r => $"{r.Key} {r.Value}"))}");
        foreach (var reason in new[] { DropReason.None, DropReason.RuleDrop, DropReason.RuleReject, DropReason.NoRuleMatched, DropReason.ClientIsolated, DropReason.DsthostUnresolved })
        {
            Assert.True(reasons.GetValueOrDefault(reason) > 100, $"{reason} was reached only {reasons.GetValueOrDefault(reason)} times");
        }
        Assert.True(pastFirstWord > 100, $"only {pastFirstWord} flows were decided past the 64th rule");
    }

    private static string PrintChanging(ChangingScenario s) =>
        PrintClients(s.Clients)
        + $"\nresolvers: {string.Join(", ", s.Resolvers)}"
        + $"\ninitial: {string.Join("; ", s.Initial.Select((a, i) => $"{HostNamePool[i]}=[{string.Join(",", a)}]"))}"
        + $"\nchanges: {string.Join("; ", s.Changes.Select(c => c.Swap != 0 ? $"swap{c.Swap}" : c.Repeat ? $"repeat {HostNamePool[c.Name]}" : $"{HostNamePool[c.Name]}={(c.Answer is null ? "removed" : "[" + string.Join(",", c.Answer) + "] " + c.Families)}"))}"
        + $"\nforeign name table: {s.ForeignNameTable}";

    private static string PrintClients((string[] Addresses, string[] Rules)[] clients) =>
        string.Join("\n", clients.Select((c, i) => $"client{i} [{string.Join(", ", c.Addresses)}]\n  " + string.Join("\n  ", c.Rules.Select((r, ri) => $"c{i}-r{ri}: {r}"))));

    private static string Target(Scenario scenario, PacketSpec spec)
    {
        var pool = spec.Target switch
        {
            1 => scenario.Clients.SelectMany(c => c.Addresses).ToArray(),
            2 => scenario.Resolvers,
            3 => scenario.Hosts.SelectMany(h => h ?? []).ToArray(),
            _ => [],
        };
        return pool.Length == 0 ? spec.Destination : pool[spec.Pick % pool.Length];
    }

    private static string Print(Scenario s) =>
        PrintClients(s.Clients)
        + $"\nresolvers: {string.Join(", ", s.Resolvers)}"
        + $"\nhosts: {string.Join("; ", s.Hosts.Select((h, i) => $"{HostNamePool[i]}={(h is null ? "unresolved" : "[" + string.Join(",", h) + "] " + s.HostFamilies[i])}"))}"
        + $"\nforeign name table: {s.ForeignNameTable}"
        + $"\npackets: {string.Join("; ", s.Packets.Select(p => $"c{p.Client} -> {Target(s, p)} proto {p.Protocol} port {p.Port} type {p.IcmpType} now{p.NowOffset:+0;-0;+0}"))}";
}
