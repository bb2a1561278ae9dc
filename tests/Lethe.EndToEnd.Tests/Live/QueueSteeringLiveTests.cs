using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// With two workers, the kernel puts every packet on the queue of the worker that owns its flow,
/// so none is handed over between workers: not the datagrams of a one-way stream (the kernel's own
/// steering follows the queue that last wrote a flow, and nothing is written back for those), nor
/// the SYN-ACK of a server in the device's own namespace (it answers before that write returns).
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class QueueSteeringLiveTests(LiveLab lab)
{
    private const string HandedOff = "lethe_handed_off_packets_total";
    private const string Received = "lethe_received_packets_total";

    /// <summary>How old the metrics page may be, and some.</summary>
    private static readonly TimeSpan PageAge = TimeSpan.FromSeconds(1.2);

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task one_way_udp_streams_reach_the_worker_that_owns_them_without_a_handoff(bool v6)
    {
        const int flows = 32, datagrams = 10;
        var net = await lab.Shared();
        var handedBefore = await net.Metric(HandedOff);
        var receivedBefore = await net.Metric(Received);
        // An address on the uplink link that nobody holds: the uplink host drops the datagrams
        // (it does not forward), so no answer ever comes back through the firewall.
        var nowhere = new IPEndPoint(IPAddress.Parse(v6 ? "2001:db8:2::77" : "198.51.100.77"), Ports.Echo);
        var payload = new byte[200];
        for (var f = 0; f < flows; f++)
        {
            using var socket = net.Client1.Enter(() => new Socket(nowhere.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
            socket.Bind(new IPEndPoint(Client1Address(v6), 0));
            for (var d = 0; d < datagrams; d++)
            {
                await socket.SendToAsync(payload, SocketFlags.None, nowhere);
            }
            await Task.Delay(2); // well within the device's queue
        }

        var received = await net.MetricOnce(Received, v => v - receivedBefore >= flows * datagrams) - receivedBefore;
        await Task.Delay(PageAge); // a handoff counted after the page that showed the last read
        var handed = await net.Metric(HandedOff) - handedBefore;

        Assert.True(received >= flows * datagrams, $"the firewall read {received} packets of the {flows * datagrams} sent\n{net.Describe()}");
        Assert.True(handed == 0, $"{handed} of {received} packets were handed over between the workers ({Family(v6)}, {flows} one-way UDP flows)\n{net.Describe()}");
    }

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task tcp_connections_to_a_server_beside_the_device_are_never_handed_over(bool v6)
    {
        const int connections = 16;
        var net = await lab.Shared();
        var handedBefore = await net.Metric(HandedOff);
        var receivedBefore = await net.Metric(Received);

        for (var c = 0; c < connections; c++)
        {
            using var session = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Echo, $"c1 -> uplink {Family(v6)} TCP {Ports.Echo}");
            Assert.Equal(Seen.Echoed, await session.Echo($"connection {c}"));
        }

        // Each connection's handshake and echo each way: at least 4 packets read per connection.
        var received = await net.MetricOnce(Received, v => v - receivedBefore >= connections * 4) - receivedBefore;
        await Task.Delay(PageAge);
        var handed = await net.Metric(HandedOff) - handedBefore;
        Assert.True(handed == 0, $"{handed} of {received} packets were handed over between the workers ({Family(v6)}, {connections} TCP connections)\n{net.Describe()}");
    }
}
