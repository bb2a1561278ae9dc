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

    private static ActivePolicy Policy(int version, params string[] clients)
    {
        var addresses = new Dictionary<string, string> { ["work"] = "10.137.0.5", ["personal"] = "10.137.0.6" };
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            clients.Select(c => new SnapshotClient(c, [addresses[c]], [new SnapshotRule($"{c}-0", "action=accept")])).ToArray());
        var compiled = CompiledPolicy.Compile(content, []);
        return new ActivePolicy(compiled, version, compiled.CreateHostTable());
    }

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
}
