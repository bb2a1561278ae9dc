using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// Two workers between a client namespace and an uplink namespace, each device with two queues:
/// the kernel spreads flows over the queues without knowing which worker owns them, so some packets
/// must cross to their owner, and every flow must still work both ways behind NAT.
/// </summary>
public class DataplaneTests
{
    private const string Client = "192.0.2.10";
    private const string Remote = "198.51.100.1";
    private const string Uplink = "198.51.100.2";

    [Fact]
    public void sixty_four_workers_get_their_handoff_rings_and_a_sixty_fifth_is_refused()
    {
        // 64 x 63 rings of 1 MiB would be 4 GiB; past 8 workers they share a budget instead.
        static (PacketEngine[] Engines, FlowShards Shards) Build(int workers)
        {
            var shards = new FlowShards(workers, 7);
            var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink), Shards = shards, Limits = new ConnectionLimits { Capacity = 64 } };
            var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab", [new SnapshotClient("work", [Client], [])]);
            var compiled = CompiledPolicy.Compile(content, []);
            var hosts = compiled.CreateHostTable();
            var engines = new PacketEngine[workers];
            for (var w = 0; w < workers; w++)
            {
                engines[w] = new PacketEngine(new ActivePolicy(compiled, 1, hosts), options with { Shard = w });
            }
            return (engines, shards);
        }
        var (engines, shards) = Build(Dataplane.MaxWorkers);
        var (tooMany, tooManyShards) = Build(Dataplane.MaxWorkers + 1);

        // This thread's allocations only: the tests running beside this one (the engine fuzz, say) allocate hundreds of MiB.
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        using var dataplane = new Dataplane([], engines, shards);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(64, dataplane.Workers.Count);
        // The rings' 1 GiB of address space lies outside the GC heap, whose hard limit (75 % of a
        // container's memory limit) would count it; the rest of a dataplane is a few megabytes.
        Assert.True(allocated < 256L << 20, $"a 64-worker dataplane took {allocated >> 20} MiB of the GC heap");
        Assert.Throws<ArgumentException>(() => new Dataplane([], tooMany, tooManyShards));
    }

    [LinuxRootFact]
    public void every_udp_flow_is_answered_through_two_workers_and_the_remote_sees_only_the_uplink_address()
    {
        using var client = NetworkNamespace.Create();
        using var uplink = NetworkNamespace.Create();
        var tunOptions = new TunOptions { Queues = 2, MultiQueue = true };
        var suffix = $"{Random.Shared.Next():x6}";
        using var clientTun = client.Enter(() => TunDevice.Open($"ldc{suffix}", tunOptions));
        using var uplinkTun = uplink.Enter(() => TunDevice.Open($"ldu{suffix}", tunOptions));
        client.Ip("link", "set", clientTun.Name, "up");
        client.Ip("addr", "add", $"{Client}/32", "dev", clientTun.Name);
        client.Ip("route", "add", "default", "dev", clientTun.Name);
        uplink.Ip("link", "set", uplinkTun.Name, "up");
        uplink.Ip("addr", "add", $"{Remote}/24", "dev", uplinkTun.Name);

        var shards = new FlowShards(2, 7);
        var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink), Shards = shards };
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", "action=accept proto=udp dstports=7-7")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        var hosts = compiled.CreateHostTable();
        PacketEngine[] engines = [
            new(new ActivePolicy(compiled, 1, hosts), options with { Shard = 0 }),
            new(new ActivePolicy(compiled, 1, hosts), options with { Shard = 1 })];
        using var dataplane = new Dataplane([new AttachedDevice(clientTun, "work"), new AttachedDevice(uplinkTun, null)], engines, shards);
        dataplane.Start();
        // As a kernel that refuses the steering program leaves it: packets land where the kernel's own
        // steering puts them, and those of the other worker's flows must be handed over.
        Assert.Equal(0, clientTun.Steer(null));
        Assert.Equal(0, uplinkTun.Steer(null));

        using var server = uplink.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        server.Bind(new IPEndPoint(IPAddress.Parse(Remote), 7));
        var sources = new HashSet<IPAddress>();
        var echo = new Thread(() =>
        {
            var buffer = new byte[1500];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    var n = server.ReceiveFrom(buffer, ref from);
                    lock (sources)
                    {
                        sources.Add(((IPEndPoint)from).Address);
                    }
                    server.SendTo(buffer.AsSpan(0, n), from);
                }
            }
            catch (SocketException)
            {
                // closed at the end of the test
            }
            catch (ObjectDisposedException)
            {
            }
        }) { IsBackground = true };
        echo.Start();

        var unanswered = new List<int>();
        // All open to the end: a closed socket's port may be handed out again, which would make two flows one.
        var sockets = new List<Socket>();
        try
        {
            for (var flow = 0; flow < 64; flow++)
            {
                var socket = client.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
                sockets.Add(socket);
                socket.ReceiveTimeout = 2000;
                socket.Connect(IPAddress.Parse(Remote), 7);
                var sent = Encoding.ASCII.GetBytes($"flow {flow}");
                var answered = false;
                for (var attempt = 0; attempt < 3 && !answered; attempt++)
                {
                    socket.Send(sent);
                    var buffer = new byte[64];
                    try
                    {
                        answered = buffer.AsSpan(0, socket.Receive(buffer)).SequenceEqual(sent);
                    }
                    catch (SocketException)
                    {
                    }
                }
                if (!answered)
                {
                    unanswered.Add(flow);
                }
            }
        }
        finally
        {
            server.Dispose();
            sockets.ForEach(s => s.Dispose());
        }

        Assert.True(unanswered.Count == 0, $"flows not answered: {string.Join(", ", unanswered)}");
        Assert.Equal([IPAddress.Parse(Uplink)], sources);
        var handedOff = dataplane.Workers.Sum(w => w.Counters.HandedOff);
        Assert.True(handedOff > 0, "64 flows over 2 queues, yet no packet reached the worker that does not own its flow");
        Assert.All(dataplane.Workers, w => Assert.True(w.Engine.ForwardedPackets > 0, $"worker {w.Index} forwarded nothing"));
        Assert.Equal(64, dataplane.Workers.Sum(w => w.Engine.Connections.Count));
    }

    [LinuxRootFact]
    public async Task super_packets_leaving_by_a_device_without_offload_are_split_and_a_tcp_stream_arrives_intact()
    {
        using var client = NetworkNamespace.Create();
        using var uplink = NetworkNamespace.Create();
        var suffix = $"{Random.Shared.Next():x6}";
        using var clientTun = client.Enter(() => TunDevice.Open($"lsc{suffix}", new TunOptions { Queues = 1, MultiQueue = true }));
        using var uplinkTun = uplink.Enter(() => TunDevice.Open($"lsu{suffix}", new TunOptions { Queues = 1, MultiQueue = true, VirtioHeader = false }));
        client.Ip("link", "set", clientTun.Name, "up");
        client.Ip("addr", "add", $"{Client}/32", "dev", clientTun.Name);
        client.Ip("route", "add", "default", "dev", clientTun.Name);
        uplink.Ip("link", "set", uplinkTun.Name, "up");
        uplink.Ip("addr", "add", $"{Remote}/24", "dev", uplinkTun.Name);

        var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink) };
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", "action=accept proto=tcp dstports=9000-9000")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        using var dataplane = new Dataplane([new AttachedDevice(clientTun, "work"), new AttachedDevice(uplinkTun, null)],
            [new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), options)], FlowShards.Single);
        dataplane.Start();

        using var listener = uplink.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        listener.Bind(new IPEndPoint(IPAddress.Parse(Remote), 9000));
        listener.Listen();
        var data = new byte[16 << 20];
        new Random(5).NextBytes(data);
        var received = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = await connection.ReceiveAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                total += n;
            }
            return (total, hash.GetHashAndReset());
        });
        using (var sender = client.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)))
        {
            await sender.ConnectAsync(IPAddress.Parse(Remote), 9000);
            await sender.SendAsync(data);
            sender.Shutdown(SocketShutdown.Send);
            var (total, digest) = await received.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(data.Length, total);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), digest);
        }

        var worker = dataplane.Workers[0];
        Assert.True(worker.Counters.Split > 0, "the client's TSO super-packets should have been split for the uplink device, which has no virtio-net header");
        Assert.Equal(0, worker.Counters.SplitFailed);
        Assert.Equal(0, uplinkTun.DroppedWrites);
    }

    /// <summary>
    /// An operator reads the forwarded packets beside the drops: a packet the policy lets through to
    /// a side no device serves (here the uplink, with no --uplink-tun) goes nowhere, so it is a
    /// no-device drop and neither forwarded nor its client's.
    /// </summary>
    [LinuxRootFact]
    public void a_packet_allowed_to_a_side_with_no_device_counts_as_dropped_and_not_as_forwarded()
    {
        const int Datagrams = 5;
        using var client = NetworkNamespace.Create();
        using var clientTun = client.Enter(() => TunDevice.Open($"lnd{Random.Shared.Next():x6}", new TunOptions { Queues = 1, MultiQueue = true }));
        client.Ip("link", "set", clientTun.Name, "up");
        client.Ip("addr", "add", $"{Client}/32", "dev", clientTun.Name);
        client.Ip("route", "add", "default", "dev", clientTun.Name);
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", "action=accept")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        var engine = new PacketEngine(new ActivePolicy(compiled, 1, compiled.CreateHostTable()), new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink) });
        using var dataplane = new Dataplane([new AttachedDevice(clientTun, "work")], [engine], FlowShards.Single);
        dataplane.Start();

        using (var socket = client.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)))
        {
            for (var i = 0; i < Datagrams; i++)
            {
                socket.SendTo(Encoding.ASCII.GetBytes($"datagram {i}"), new IPEndPoint(IPAddress.Parse(Remote), 7 + i));
            }
        }
        var worker = dataplane.Workers[0];
        for (var waited = 0; waited < 5000 && worker.Counters.Received < Datagrams; waited += 50)
        {
            Thread.Sleep(50);
        }
        Thread.Sleep(200);

        // The kernel may send a packet of its own too (an IPv6 router solicitation): every packet read is one drop.
        Assert.True(worker.Counters.Received >= Datagrams, $"{worker.Counters.Received} packets read of {Datagrams}");
        Assert.Equal(0, engine.ForwardedPackets);
        Assert.Equal(0, engine.ForwardedBytes);
        Assert.Equal(0, engine.Policy.ClientPackets[0]);
        Assert.Equal(worker.Counters.Received, worker.Counters.NoDevice + engine.Drops.Sum());
    }
}
