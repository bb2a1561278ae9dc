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

/// <summary>The /metrics page of a dataplane without devices, its workers driven by hand.</summary>
public sealed class MetricsTextTests
{
    private const long Now = 1_800_000_000_000;

    private static ActivePolicy Policy(int version, params string[] clients) => Policy(version, clients.Select(c => (c, $"{c}-0")).ToArray());

    /// <summary>Each client with one rule, accept, of the id given.</summary>
    private static ActivePolicy Policy(int version, params (string Client, string Rule)[] clients)
    {
        var addresses = new Dictionary<string, string> { ["work"] = "10.137.0.5", ["personal"] = "10.137.0.6" };
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            clients.Select(c => new SnapshotClient(c.Client, [addresses[c.Client]], [new SnapshotRule(c.Rule, "action=accept")])).ToArray());
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, version, compiled.CreateHostTable());
    }

    /// <summary>"work" with one rule, accept until <paramref name="expireAt"/> (UNIX seconds).</summary>
    private static ActivePolicy ExpiringPolicy(long expireAt)
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("work-0", $"action=accept expire={expireAt}")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, 1, compiled.CreateHostTable());
    }

    private static long Sample(string page, string series) =>
        long.Parse(Regex.Match(page, "^" + Regex.Escape(series) + " (\\d+)$",
            RegexOptions.Multiline).Groups[1].Value);

    [Fact]
    public void a_page_rendered_while_workers_swap_never_gives_one_clients_packets_to_another()
    {
        var shards = new FlowShards(2, 7);
        var options = new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), Shards = shards, Seed = 1 };
        var engines = new[]
        {
            new PacketEngine(Policy(1, "work", "personal"), options with { Shard = 0 }),
            new PacketEngine(Policy(1, "work", "personal"), options with { Shard = 1 }),
        };
        using var dataplane = new Dataplane([], engines, shards);
        var forwarded = 0;
        for (var i = 0; i < 5; i++)
        {
            var packet = Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(40000 + i), 53, payload: 10);
            forwarded += engines[1].Process(packet, packet.Length, engines[1].Policy.Compiled.ClientIndex("work"), Now, new byte[2048]).Forwarded ? 1 : 0;
        }
        // Worker 0 has taken version 2, in which client 0 is "personal"; worker 1 has not yet.
        engines[0].Swap(Policy(2, "personal"), Now);

        var page = MetricsText.Render(dataplane);

        Assert.Equal(5, forwarded);
        Assert.Contains("lethe_snapshot_version 2\n", page);
        Assert.Contains("lethe_client_packets_total{client=\"personal\"} 0\n", page);
        Assert.Contains("lethe_forwarded_packets_total 5\n", page);
    }

    // Prometheus reads any fall of a counter as a restart: rate() and increase() then count the whole value again.
    [Fact]
    public void a_client_both_versions_name_keeps_its_count_on_a_page_rendered_while_the_workers_swap()
    {
        var shards = new FlowShards(2, 7);
        var options = new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), Shards = shards, Seed = 1 };
        // As LiveFirewall does: one compiled policy, a copy of its counters per worker.
        var v1 = Policy(1, "work");
        var engines = new[]
        {
            new PacketEngine(v1, options with { Shard = 0 }),
            new PacketEngine(new ActivePolicy(v1.Compiled, 1, v1.Hosts), options with { Shard = 1 }),
        };
        using var dataplane = new Dataplane([], engines, shards);
        for (var i = 0; i < 5; i++)
        {
            var packet = Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(40000 + i), 53, payload: 10);
            Assert.True(engines[1].Process(packet, packet.Length, engines[1].Policy.Compiled.ClientIndex("work"), Now, new byte[2048]).Forwarded);
        }
        const string work = "lethe_client_packets_total{client=\"work\"}";
        const string rule = "lethe_rule_hits_total{client=\"work\",rule=\"work-0\"}";
        var before = MetricsText.Render(dataplane);

        // Version 2 keeps work and its rule and puts personal first; worker 0 has taken it, worker 1 not yet.
        var v2 = Policy(2, "personal", "work");
        engines[0].Swap(v2, Now);
        var during = MetricsText.Render(dataplane);
        engines[1].Swap(new ActivePolicy(v2.Compiled, 2, v2.Hosts), Now);
        var after = MetricsText.Render(dataplane);

        Assert.Equal((5, 5), (Sample(before, work), Sample(before, rule)));
        Assert.Equal((5, 5), (Sample(during, work), Sample(during, rule)));
        Assert.Equal((5, 5), (Sample(after, work), Sample(after, rule)));
        Assert.Equal(0, Sample(during, "lethe_client_packets_total{client=\"personal\"}"));
    }

    // Prometheus counters: a swap does not take them down for what it keeps.
    [Fact]
    public void a_client_and_rule_a_new_version_keeps_keep_their_counts_and_new_ones_start_at_zero()
    {
        var engine = new PacketEngine(Policy(1, ("work", "work-0"), ("personal", "personal-0")),
            new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), Seed = 1 });
        using var dataplane = new Dataplane([], [engine], new FlowShards(1, 7));
        for (var i = 0; i < 5; i++)
        {
            var packet = Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(40000 + i), 53, payload: 10);
            Assert.True(engine.Process(packet, packet.Length, Ingress.BySource, Now, new byte[2048]).Forwarded);
        }
        var before = MetricsText.Render(dataplane);

        // Version 2 lists the clients the other way round, keeps work's rule and gives personal a new one.
        engine.Swap(Policy(2, ("personal", "personal-1"), ("work", "work-0")), Now);
        var after = MetricsText.Render(dataplane);

        Assert.Equal(5, Sample(before, "lethe_client_packets_total{client=\"work\"}"));
        foreach (var series in new[] { "lethe_client_packets_total{client=\"work\"}", "lethe_client_bytes_total{client=\"work\"}",
                     "lethe_rule_hits_total{client=\"work\",rule=\"work-0\"}", "lethe_forwarded_packets_total" })
        {
            Assert.Equal(Sample(before, series), Sample(after, series));
        }
        Assert.Equal(0, Sample(after, "lethe_rule_hits_total{client=\"personal\",rule=\"personal-1\"}"));
    }

    // An operator reads lethe_tracked_flows as conntrack's count: flows that timed out are no longer tracked.
    [Fact]
    public void flows_that_timed_out_leave_the_tracked_flows_of_an_idle_firewall()
    {
        var engine = new PacketEngine(Policy(1, "work"), new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), Seed = 1 });
        using var dataplane = new Dataplane([], [engine], new FlowShards(1, 7));
        // Unanswered UDP is held 30 s; these were sent a minute ago on the workers' own clock.
        var aMinuteAgo = Environment.TickCount64 - 60_000;
        for (var i = 0; i < 5; i++)
        {
            var packet = Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(40000 + i), 53, payload: 10);
            Assert.True(engine.Process(packet, packet.Length, Ingress.BySource, aMinuteAgo, new byte[2048]).Forwarded);
        }

        dataplane.Start();
        // No packet comes: the firewall is idle, as after a burst of lookups has ended. Its workers wake every second.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        var page = MetricsText.Render(dataplane);
        dataplane.Stop();

        Assert.Equal(0, Sample(page, "lethe_tracked_flows"));
    }

    // README: an expired rule ends its connections as a removed one does; an idle firewall's page shows them cut when it expires.
    [Fact]
    public void flows_of_a_rule_that_expires_on_an_idle_firewall_are_cut_and_counted_when_it_expires()
    {
        var expireAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2;
        var engine = new PacketEngine(ExpiringPolicy(expireAt),
            new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), Seed = 1, WallClock = TimeProvider.System });
        using var dataplane = new Dataplane([], [engine], new FlowShards(1, 7));
        // Unanswered UDP is held 30 s, far past the expiry: only the expiry can end these.
        var now = Environment.TickCount64;
        for (var i = 0; i < 3; i++)
        {
            var packet = Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(40000 + i), 53, payload: 10);
            Assert.True(engine.Process(packet, packet.Length, Ingress.BySource, now, new byte[2048]).Forwarded);
        }

        dataplane.Start();
        // No packet comes after them. The workers look every second; a loaded machine may wake them late.
        var page = MetricsText.Render(dataplane);
        while (Sample(page, "lethe_flows_cut_by_expiry_total") < 3 && DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() < expireAt * 1000 + 3_000)
        {
            Thread.Sleep(100);
            page = MetricsText.Render(dataplane);
        }
        var late = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - expireAt * 1000;
        dataplane.Stop();

        Assert.True(Sample(page, "lethe_flows_cut_by_expiry_total") == 3, $"{Sample(page, "lethe_flows_cut_by_expiry_total")} of 3 flows cut {late} ms after the expiry");
        Assert.Equal(0, Sample(page, "lethe_tracked_flows"));
    }
}
