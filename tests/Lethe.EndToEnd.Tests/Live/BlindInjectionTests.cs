using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Wire;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Someone on the uplink who knows a flow's addresses and ports but not its sequence numbers sends
/// a reset and some data into it. The firewall drops both (tcp-out-of-window), so the flow is not
/// closed: it still carries data after the 10 s a closed flow would have been kept.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class BlindInjectionTests(LiveLab lab)
{
    private const string OutOfWindow = "lethe_drops_total{reason=\"tcp-out-of-window\"}";

    /// <summary>Longer than a closed flow's 10 s (Linux's TCP close timeout), after which it would be forgotten.</summary>
    private static readonly TimeSpan PastTheCloseTimeout = TimeSpan.FromSeconds(11);

    [LinuxRootFact]
    public async Task a_blind_reset_and_injected_data_from_the_uplink_are_dropped_and_the_flow_lives_on()
    {
        var net = await lab.Shared();
        using var session = await TcpSession.Require(net.Client1, UplinkV4, Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo}");

        // A raw socket on the uplink host sees the flow's segments; one of them gives the numbers to avoid.
        using var raw = net.Uplink.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Tcp));
        raw.ReceiveTimeout = (int)Probe.Wait.TotalMilliseconds;
        var before = new FlowChecks(net.Describe);
        before.Expect($"c1 -> uplink host TCP {Ports.Echo} before the injection", Seen.Echoed, session.Echo("before"));
        await before.Verify();
        var (natPort, clientNext, serverNext) = FindSegment(raw, "before"u8.ToArray());
        var drops = await net.Metric(OutOfWindow);

        // Half the sequence space away from where the flow is: outside any window it can have.
        Send(raw, natPort, TcpFlags.Rst | TcpFlags.Ack, serverNext + 0x8000_0000u, clientNext, payload: 0);
        Send(raw, natPort, TcpFlags.Ack | TcpFlags.Psh, serverNext + 0x8000_0000u, clientNext, payload: 64);
        await Task.Delay(PastTheCloseTimeout);

        Assert.Equal(drops + 2, await net.Metric(OutOfWindow));
        var after = new FlowChecks(net.Describe);
        after.Expect($"c1 -> uplink host TCP {Ports.Echo} {PastTheCloseTimeout.TotalSeconds} s after the blind reset", Seen.Echoed,
            session.Echo("after"));
        await after.Verify();
    }

    /// <summary>
    /// The flow's data segment carrying <paramref name="payload"/> as the uplink host received it:
    /// the firewall's port for the flow, the client's next sequence number and the server's.
    /// </summary>
    private static (int NatPort, uint ClientNext, uint ServerNext) FindSegment(Socket raw, byte[] payload)
    {
        var buffer = new byte[65_536];
        while (true)
        {
            int length;
            try
            {
                length = raw.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                throw new InvalidOperationException("the uplink host saw no segment carrying the echoed text", e);
            }
            var ip = buffer.AsSpan(0, length);
            if (ip.Length < 20 || !ip[12..16].SequenceEqual(FirewallV4.GetAddressBytes()))
            {
                continue;
            }
            var tcp = ip[((ip[0] & 0x0F) * 4)..];
            if (tcp.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]) != Ports.Echo || !tcp[((tcp[12] >> 4) * 4)..].SequenceEqual(payload))
            {
                continue;
            }
            return (BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)payload.Length,
                BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]));
        }
    }

    private static void Send(Socket raw, int natPort, TcpFlags flags, uint sequence, uint acknowledgement, int payload)
    {
        var segment = new byte[TcpSegment.MinHeaderLength + payload];
        var tcp = TcpSegment.Unchecked(segment);
        tcp.SourcePort = Ports.Echo;
        tcp.DestinationPort = (ushort)natPort;
        tcp.SequenceNumber = sequence;
        tcp.AcknowledgementNumber = acknowledgement;
        tcp.HeaderLength = TcpSegment.MinHeaderLength;
        tcp.Flags = flags;
        tcp.WindowSize = 509;
        tcp.FillChecksum(NetAddress.From(UplinkV4), NetAddress.From(FirewallV4));
        raw.SendTo(segment, new IPEndPoint(FirewallV4, 0));
    }
}
