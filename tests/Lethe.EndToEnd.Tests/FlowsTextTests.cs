using System.Text.RegularExpressions;
using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// The /flows page of a running data plane without devices: flows made by hand through each
/// worker's engine before its thread starts, then listed by the workers themselves.
/// </summary>
public sealed class FlowsTextTests
{
    private static ActivePolicy Policy(SnapshotRule[]? labFirst = null, int version = 5)
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
        [
            new SnapshotClient("work", ["10.137.0.5", "2001:db8:1::5"], [new SnapshotRule("r-work", "action=accept")]),
            // A catch-all never opens another client: the way to work is named.
            new SnapshotClient("lab", ["10.137.0.6"],
                [.. labFirst ?? [], new SnapshotRule("r-lab-ssh", "action=accept dst4=10.137.0.5/32 proto=tcp dstports=22-22"), new SnapshotRule("r-lab", "action=accept")]),
        ]);
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, version, compiled.CreateHostTable());
    }

    private static (Dataplane Dataplane, PacketEngine[] Engines) Running(int workers)
    {
        var shards = new FlowShards(workers, 7);
        var options = new EngineOptions
        {
            UplinkV4 = NetAddress.Parse("198.51.100.1"), UplinkV6 = NetAddress.Parse("2001:db8:2::1"), Shards = shards, Seed = 1,
        };
        var engines = Enumerable.Range(0, workers).Select(w => new PacketEngine(Policy(), options with { Shard = w })).ToArray();
        return (new Dataplane([], engines, shards), engines);
    }

    private static void Send(PacketEngine engine, byte[] packet, string client, long nowMs)
    {
        var outcome = engine.Process(packet, packet.Length, engine.Policy.Compiled.ClientIndex(client), nowMs, new byte[2048]);
        Assert.True(outcome.Forwarded, $"not forwarded: {outcome.Reason}");
    }

    private static string[] FlowLines(string page) => page.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToArray();

    [Fact]
    public void every_workers_flows_are_listed_with_client_translation_counts_and_time_left()
    {
        var (dataplane, engines) = Running(2);
        using (dataplane)
        {
            var now = Environment.TickCount64;
            Send(engines[0], Packets.Tcp("10.137.0.5", "203.0.113.7", 40000, 443, payload: 100), "work", now);
            Send(engines[1], Packets.Udp("2001:db8:1::5", "2001:db8:3::7", 40001, 53, payload: 20), "work", now);
            Send(engines[1], Packets.IcmpEcho("10.137.0.6", "203.0.113.7", id: 9, sequence: 1), "lab", now);
            dataplane.Start();

            var page = FlowsText.Render(dataplane, "home");

            Assert.StartsWith("# 3 tracked flow(s), policy home version 5\n", page);
            var lines = FlowLines(page);
            Assert.Equal(3, lines.Length);
            Assert.Matches(@"^icmp icmp client lab 10\.137\.0\.6 id 9 -> 203\.0\.113\.7 id 9 as 198\.51\.100\.1 id \d+, rule r-lab, sent 1 packets 28 bytes, received 0 packets 0 bytes, idle 0 s, expires in 30 s$", lines[0]);
            Assert.Contains(lines, l => Regex.IsMatch(l,
                @"^tcp syn-sent client work 10\.137\.0\.5:40000 -> 203\.0\.113\.7:443 as 198\.51\.100\.1:\d+, rule r-work, sent 1 packets 140 bytes, received 0 packets 0 bytes, idle 0 s, expires in \d+ s$"));
            Assert.Contains(lines, l => Regex.IsMatch(l,
                @"^udp udp-unreplied client work \[2001:db8:1::5\]:40001 -> \[2001:db8:3::7\]:53 as \[2001:db8:2::1\]:\d+, rule r-work, sent 1 packets 68 bytes, received 0 packets 0 bytes, idle 0 s, expires in 30 s$"));
        }
    }

    [Fact]
    public void a_flow_between_two_clients_is_not_translated_and_a_timed_out_one_is_not_listed()
    {
        var (dataplane, engines) = Running(1);
        using (dataplane)
        {
            var now = Environment.TickCount64;
            Send(engines[0], Packets.Tcp("10.137.0.6", "10.137.0.5", 40002, 22), "lab", now);
            // Ten minutes ago: a UDP flow nobody answered has long timed out, swept or not.
            Send(engines[0], Packets.Udp("10.137.0.5", "203.0.113.7", 40003, 123, payload: 48), "work", now - 600_000);
            dataplane.Start();

            var lines = FlowLines(FlowsText.Render(dataplane, "home"));

            var line = Assert.Single(lines);
            Assert.StartsWith("tcp syn-sent client lab 10.137.0.6:40002 -> 10.137.0.5:22, rule r-lab-ssh, sent 1 packets", line);
        }
    }

    [Fact]
    public void after_a_swap_that_changed_its_clients_rules_a_flow_names_the_rule_that_allows_it_now()
    {
        var (dataplane, engines) = Running(1);
        using (dataplane)
        {
            var now = Environment.TickCount64;
            Send(engines[0], Packets.Tcp("10.137.0.6", "203.0.113.7", 40005, 443), "lab", now);
            Send(engines[0], Packets.Tcp("10.137.0.6", "203.0.113.7", 40006, 80), "lab", now);
            // Two rules put first: one now allows the HTTPS flow; the web flow is still r-lab's, two places further down.
            engines[0].Swap(Policy([new SnapshotRule("r-lab-https", "action=accept proto=tcp dstports=443-443"),
                new SnapshotRule("r-lab-dns", "action=accept proto=udp dstports=53-53")], version: 6), now);
            dataplane.Start();

            var lines = FlowLines(FlowsText.Render(dataplane, "home"));

            Assert.Equal(2, lines.Length);
            Assert.Contains(lines, l => l.StartsWith("tcp syn-sent client lab 10.137.0.6:40005 -> 203.0.113.7:443 as ", StringComparison.Ordinal) && l.Contains(", rule r-lab-https, "));
            Assert.Contains(lines, l => l.StartsWith("tcp syn-sent client lab 10.137.0.6:40006 -> 203.0.113.7:80 as ", StringComparison.Ordinal) && l.Contains(", rule r-lab, "));
        }
    }

    [Fact]
    public void workers_that_do_not_answer_are_said_to_and_nothing_is_listed()
    {
        var (dataplane, engines) = Running(1);
        using (dataplane)
        {
            Send(engines[0], Packets.Tcp("10.137.0.5", "203.0.113.7", 40004, 443), "work", Environment.TickCount64);

            // Never started: no worker copies its flows.
            var page = FlowsText.Render(dataplane, "home");

            Assert.Equal("# the workers did not answer within 1 s (stopping?): no flows listed\n", page);
        }
    }
}
