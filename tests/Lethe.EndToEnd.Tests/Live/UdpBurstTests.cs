using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Datagrams of one flow that wait in a device's queue together leave the firewall as one USO
/// packet, one write instead of one per datagram; the uplink host's kernel splits it again. The
/// test holds the firewall still (SIGSTOP) while a burst queues up, so that it certainly reads the
/// burst as one batch, and checks that every datagram comes back from the echo whole and in order.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class UdpBurstTests(LiveLab lab)
{
    private const string Coalesced = "lethe_coalesced_udp_datagrams_total";
    private const int Burst = 40;

    [LinuxRootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_burst_queued_while_the_firewall_is_paused_leaves_as_one_write_and_every_datagram_arrives_whole_and_in_order(bool v6)
    {
        var net = await lab.Shared();
        var firewall = net.Firewall ?? throw new InvalidOperationException("the shared topology has no firewall running");
        var coalescedBefore = await net.Metric(Coalesced);
        var family = v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var socket = net.Client1.Enter(() => new Socket(family, SocketType.Dgram, ProtocolType.Udp));
        socket.Bind(new IPEndPoint(Client1Address(v6), 0));
        var echo = new IPEndPoint(Uplink(v6), Ports.Echo);
        // Equal datagrams and a shorter last one: the shape of a USO packet.
        var sent = Enumerable.Range(0, Burst).Select(i => Payload(i, i == Burst - 1 ? 400 : 1000)).ToArray();

        firewall.Signal("STOP");
        try
        {
            await WaitUntilStopped(firewall.Id);
            foreach (var payload in sent)
            {
                await socket.SendToAsync(payload, SocketFlags.None, echo);
            }
        }
        finally
        {
            firewall.Signal("CONT");
        }
        var received = await ReceiveUpTo(socket, Burst);

        Assert.True(received.Count == Burst, $"{received.Count} of {Burst} datagrams came back over {Family(v6)}.\n{net.Describe()}");
        for (var i = 0; i < Burst; i++)
        {
            Assert.True(sent[i].AsSpan().SequenceEqual(received[i]),
                $"datagram {i} came back as datagram {(received[i].Length >= 4 ? BitConverter.ToInt32(received[i]) : -1)} of {received[i].Length} bytes");
        }
        // The page may be up to a second old: wait for one rendered after the burst.
        var coalesced = await net.MetricOnce(Coalesced, value => value - coalescedBefore >= Burst) - coalescedBefore;
        Assert.True(coalesced >= Burst, $"{coalesced} datagrams were written coalesced, fewer than the {Burst} of the burst.\n{net.Describe()}");
    }

    private static byte[] Payload(int index, int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)(index * 31 + i);
        }
        BitConverter.TryWriteBytes(payload, index);
        return payload;
    }

    /// <summary>Until /proc says the process is stopped ("T"): a datagram sent before that might be read alone.</summary>
    private static async Task WaitUntilStopped(int pid)
    {
        var deadline = DateTime.UtcNow + Probe.Wait;
        while (DateTime.UtcNow < deadline)
        {
            var stat = await File.ReadAllTextAsync($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T'))
            {
                return;
            }
            await Task.Delay(10);
        }
        throw new InvalidOperationException($"lethe-firewall (pid {pid}) did not stop within {Probe.Wait.TotalSeconds} s of SIGSTOP");
    }

    private static async Task<List<byte[]>> ReceiveUpTo(Socket socket, int count)
    {
        var received = new List<byte[]>();
        var buffer = new byte[2048];
        while (received.Count < count)
        {
            using var timeout = new CancellationTokenSource(Probe.Wait);
            try
            {
                var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                received.Add(buffer[..length]);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return received;
    }
}
