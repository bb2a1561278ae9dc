using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tests.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// A client that sends a datagram's fragments out of order, through one worker and through two
/// (where a later fragment read before its first has no route yet): the workers hold the early
/// ones, and the uplink's host reassembles the whole datagram, from the uplink address.
/// </summary>
public class EarlyFragmentDataplaneTests
{
    private const string Client = "192.0.2.10";
    private const string Remote = "198.51.100.1";
    private const string Uplink = "198.51.100.2";
    private const string Stranger = "198.51.100.77";

    [LinuxRootTheory]
    [InlineData(1, new[] { 2, 0, 1 })]
    [InlineData(1, new[] { 1, 0, 2 })]
    [InlineData(2, new[] { 2, 0, 1 })]
    [InlineData(2, new[] { 1, 2, 0 })]
    public void a_datagram_whose_fragments_come_out_of_order_reaches_the_uplinks_host_whole(int workers, int[] order)
    {
        using var lab = new Lab(workers);
        var datagram = Packets.Udp(Client, Remote, 40000, 7, payload: 3000);
        var fragments = Packets.Fragments(datagram, 1480, identification: 0x4242);

        foreach (var index in order)
        {
            lab.SendRawClient(fragments[index]);
            // Each read on its own, so the later ones are truly early.
            Thread.Sleep(20);
        }
        var (received, from) = lab.Receive();

        Assert.Equal(datagram[28..], received);
        Assert.Equal(IPAddress.Parse(Uplink), from);
        Assert.Equal(0, lab.Drops(DropReason.FragmentWithoutFlow));
    }

    [LinuxRootFact]
    public void a_fragment_after_a_gap_that_never_fills_is_dropped_when_its_hold_time_runs_out()
    {
        using var lab = new Lab(workers: 1);
        var fragments = Packets.Fragments(Packets.Udp(Client, Remote, 40000, 7, payload: 3000), 1480, identification: 0x4343);

        lab.SendRawClient(fragments[0]);
        lab.SendRawClient(fragments[2]);
        Thread.Sleep(200);
        Assert.Equal(0, lab.Drops(DropReason.FragmentWithoutFlow));
        Thread.Sleep((int)FragmentHold.HoldMs + 500);

        Assert.Equal(1, lab.Drops(DropReason.FragmentWithoutFlow));
        Assert.Equal(2, lab.Dataplane.Workers.Sum(w => w.Engine.ForwardedPackets) + lab.Drops(DropReason.FragmentWithoutFlow));
    }

    /// <summary>
    /// Any host on the internet can send later fragments of made-up datagrams addressed to the
    /// firewall's uplink address, where every client's translated replies come: they must not keep
    /// a client's reordered reply from being held.
    /// </summary>
    [LinuxRootTheory]
    [InlineData(1, FragmentHold.Slots / 2)]
    [InlineData(2, FragmentHold.Slots / 2)]
    [InlineData(1, 300)]
    [InlineData(2, 300)]
    public void forged_tiny_fragments_from_the_internet_do_not_stop_a_clients_reordered_reply(int workers, int forged)
    {
        using var lab = new Lab(workers);
        var natPort = lab.Ask();
        for (var id = 0; id < forged; id++)
        {
            lab.SendRawUplink(Packets.Fragment(Packets.Udp(Stranger, Uplink, 9, 9, payload: 64), 8, 8, identification: (uint)(0x1000 + id)));
        }
        Thread.Sleep(50);
        var reply = Packets.Udp(Remote, Uplink, 7, natPort, payload: 3000);
        var fragments = Packets.Fragments(reply, 1480, identification: 0x5151);

        foreach (var index in new[] { 1, 2, 0 })
        {
            lab.SendRawUplink(fragments[index]);
            Thread.Sleep(20);
        }

        Assert.Equal(reply[28..], lab.ReceiveAtClient());
    }

    [LinuxRootFact]
    public void a_tcp_later_fragment_is_dropped_at_once_with_two_workers_too()
    {
        using var lab = new Lab(workers: 2);
        var segment = Packets.Tcp(Client, Remote, 40001, 80, TcpFlags.Ack, payload: 3000);

        lab.SendRawClient(Packets.Fragments(segment, 1480, identification: 0x6161)[1]);
        Thread.Sleep(300);

        Assert.Equal(1, lab.Drops(DropReason.FragmentWithoutFlow));
    }

    /// <summary>
    /// A fragment waiting for its route is looked for every millisecond: those wake-ups are no
    /// packets, so they must not keep an idle firewall polling.
    /// </summary>
    [LinuxRootFact]
    public void looking_for_a_held_fragments_route_does_not_keep_the_workers_polling()
    {
        using var lab = new Lab(workers: 2, idlePollMicroseconds: 2000);
        var fragments = Packets.Fragments(Packets.Udp(Client, Remote, 40000, 7, payload: 3000), 1480, identification: 0x7171);

        lab.SendRawClient(fragments[1]);
        Thread.Sleep(300);

        // The worker holding it has had 300 ms without a packet; the other has not woken yet (its sleeps last 1 s).
        Assert.Equal(0, lab.Dataplane.Workers.Min(w => w.IdlePoll!.Microseconds));
    }

    [LinuxRootFact]
    public void a_held_fragment_of_a_client_the_policy_no_longer_names_is_dropped_as_no_device()
    {
        using var lab = new Lab(workers: 1);
        var fragments = Packets.Fragments(Packets.Udp(Client, Remote, 40000, 7, payload: 3000), 1480, identification: 0x7272);
        lab.SendRawClient(fragments[2]);
        Thread.Sleep(50);

        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
            [new SnapshotClient("other", ["192.0.2.99"], [new SnapshotRule("r-2", "action=accept")])]);
        var compiled = CompiledPolicy.Compile(content, []);
        Assert.NotNull(lab.Dataplane.Swap(_ => new ActivePolicy(compiled, 2, compiled.CreateHostTable()), TimeSpan.FromSeconds(5)));
        Thread.Sleep(200);

        Assert.Equal(1, lab.Dataplane.Workers.Sum(w => w.Counters.NoDevice));
        Assert.Equal(0, lab.Drops(DropReason.FragmentWithoutFlow));
    }

    /// <summary>
    /// A client namespace and an uplink namespace, a data plane of <c>workers</c> between them, a UDP
    /// socket at the uplink's host and one at the client (192.0.2.10:40000), and raw sockets on both sides.
    /// </summary>
    private sealed class Lab : IDisposable
    {
        private readonly NetworkNamespace _client = NetworkNamespace.Create();
        private readonly NetworkNamespace _uplink = NetworkNamespace.Create();
        private readonly TunDevice _clientTun;
        private readonly TunDevice _uplinkTun;
        private readonly Socket _server;
        private readonly Socket _raw;
        private readonly Socket _rawUplink;
        private readonly Socket _clientSocket;

        public Lab(int workers, int idlePollMicroseconds = 0)
        {
            var tunOptions = new TunOptions { Queues = workers, MultiQueue = true };
            var suffix = $"{Random.Shared.Next():x6}";
            _clientTun = _client.Enter(() => TunDevice.Open($"lec{suffix}", tunOptions));
            _uplinkTun = _uplink.Enter(() => TunDevice.Open($"leu{suffix}", tunOptions));
            _client.Ip("link", "set", _clientTun.Name, "up");
            _client.Ip("addr", "add", $"{Client}/32", "dev", _clientTun.Name);
            _client.Ip("route", "add", "default", "dev", _clientTun.Name);
            _uplink.Ip("link", "set", _uplinkTun.Name, "up");
            _uplink.Ip("addr", "add", $"{Remote}/24", "dev", _uplinkTun.Name);

            var shards = new FlowShards(workers, 7);
            var options = new EngineOptions { UplinkV4 = NetAddress.Parse(Uplink), Shards = shards };
            var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
                [new SnapshotClient("work", [Client], [new SnapshotRule("r-1", "action=accept proto=udp dstports=7-7")])]);
            var compiled = CompiledPolicy.Compile(content, []);
            var hosts = compiled.CreateHostTable();
            var engines = Enumerable.Range(0, workers).Select(w => new PacketEngine(new ActivePolicy(compiled, 1, hosts), options with { Shard = w })).ToArray();
            Dataplane = new Dataplane([new AttachedDevice(_clientTun, "work"), new AttachedDevice(_uplinkTun, null)], engines, shards);
            Dataplane.Start(idlePollMicroseconds: idlePollMicroseconds);
            _server = _uplink.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            _server.Bind(new IPEndPoint(IPAddress.Parse(Remote), 7));
            _server.ReceiveTimeout = 5000;
            // IPPROTO_RAW: the packet goes out as written, fragment fields included.
            _raw = _client.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw));
            _rawUplink = _uplink.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Raw));
            _clientSocket = _client.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            _clientSocket.Bind(new IPEndPoint(IPAddress.Parse(Client), 40000));
            _clientSocket.ReceiveTimeout = 5000;
        }

        public Dataplane Dataplane { get; }

        public void SendRawClient(byte[] packet) => _raw.SendTo(packet, new IPEndPoint(IPAddress.Parse(Remote), 0));

        /// <summary>From the uplink's side, as written (any source): to the packet's own destination.</summary>
        public void SendRawUplink(byte[] packet) => _rawUplink.SendTo(packet, new IPEndPoint(new IPAddress(packet.AsSpan(16, 4)), 0));

        /// <summary>The client asks the uplink's host once (a flow the rules allow); the port the host saw it from, the firewall's translation.</summary>
        public ushort Ask()
        {
            _clientSocket.SendTo("ask"u8.ToArray(), new IPEndPoint(IPAddress.Parse(Remote), 7));
            var (_, _, port) = ReceiveWithPort();
            return port;
        }

        public byte[] ReceiveAtClient()
        {
            var buffer = new byte[65_536];
            var n = _clientSocket.Receive(buffer);
            return buffer[..n];
        }

        public (byte[] Data, IPAddress From) Receive()
        {
            var (data, from, _) = ReceiveWithPort();
            return (data, from);
        }

        private (byte[] Data, IPAddress From, ushort Port) ReceiveWithPort()
        {
            var buffer = new byte[65_536];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var n = _server.ReceiveFrom(buffer, ref from);
            return (buffer[..n], ((IPEndPoint)from).Address, (ushort)((IPEndPoint)from).Port);
        }

        public long Drops(DropReason reason) => Dataplane.Workers.Sum(w => w.Engine.Drops[(int)reason]);

        public void Dispose()
        {
            _raw.Dispose();
            _rawUplink.Dispose();
            _clientSocket.Dispose();
            _server.Dispose();
            Dataplane.Dispose();
            _clientTun.Dispose();
            _uplinkTun.Dispose();
            _client.Dispose();
            _uplink.Dispose();
        }
    }
}
