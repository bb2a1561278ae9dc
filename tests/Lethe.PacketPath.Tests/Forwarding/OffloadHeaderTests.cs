using System.Buffers.Binary;
using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tests.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// A client that writes its own virtio-net header (a VM's driver, a PACKET_VNET_HDR socket) decides
/// where the kernel behind the firewall completes a partial checksum. Aimed at the destination port,
/// that would turn a datagram the rules allowed to port 53 into one to any port after the verdict.
/// The test plays such a client through a TUN of its own in the client namespace, whose kernel
/// forwards the packet, header offsets and all, into the firewall; behind the uplink, a TUN without
/// offloads makes the kernel complete the checksum where the header says.
/// </summary>
public class OffloadHeaderTests
{
    private const string Client = OffloadLab.Client;
    private const string Uplink = OffloadLab.Uplink;
    private const string Target = OffloadLab.Target;

    [LinuxRootFact]
    public void a_client_header_aiming_the_checksum_at_the_port_is_dropped_and_honest_ones_pass()
    {
        using var lab = new OffloadLab("action=accept proto=udp dstports=53-53");

        Send(lab.Inject, "before", aimAtPort: false);
        Assert.Equal(("before", 53), NextDatagram(lab.Beyond));

        Send(lab.Inject, "aimed", aimAtPort: true);
        Send(lab.Inject, "after", aimAtPort: false);
        // Same flow, same worker, so "after" leaves behind anything of "aimed" that got through.
        Assert.Equal(("after", 53), NextDatagram(lab.Beyond));
        Assert.Equal(1, lab.Dataplane.Workers[0].Counters.OffloadHeaderMismatch);
    }

    [LinuxRootFact]
    public void a_tso_super_packet_translated_once_leaves_as_segments_whose_checksums_verify()
    {
        // Behind a device without offloads the kernel segments the packet and completes each
        // checksum from the partial sum Lethe left after NAT: a wrong sum shows in every segment.
        using var lab = new OffloadLab("action=accept proto=tcp dstports=443-443");
        var whole = NatPackets.Tcp(NetAddress.Parse(Client), NetAddress.Parse(Target), 40000, 443, 0x18, NatPackets.Payload(5000));
        var (header, packet) = Offloaded.Partial(whole, gsoSize: 1448);

        Assert.True(lab.Inject.Write(0, Offloaded.Frame(header, packet)), "the client namespace's kernel refused the super-packet");

        var payload = new List<byte>();
        var buffer = new byte[lab.Beyond.MaxReadLength];
        var deadline = Environment.TickCount64 + 5000;
        var segments = 0;
        while (payload.Count < 5000 && Environment.TickCount64 < deadline)
        {
            var length = lab.Beyond.TryRead(0, buffer);
            if (length <= 0)
            {
                Thread.Sleep(5);
                continue;
            }
            var segment = buffer.AsSpan(0, length);
            if (!PacketParser.TryParse(segment, out var info, out _) || info.Protocol != IpProtocol.Tcp || info.Destination != NetAddress.Parse(Target))
            {
                continue;
            }
            segments++;
            Assert.Equal(NetAddress.Parse(Uplink), info.Source);
            Assert.True(NatPackets.TransportChecksumVerifies(segment), $"segment {segments} left with a TCP checksum that does not verify");
            Assert.True(NatPackets.HeaderChecksumVerifies(segment), $"segment {segments} left with an IPv4 header checksum that does not verify");
            var tcp = segment[info.TransportOffset..info.TotalLength];
            payload.AddRange(tcp[((tcp[12] >> 4) * 4)..].ToArray());
        }

        Assert.Equal(4, segments);
        Assert.Equal(NatPackets.Payload(5000), payload.ToArray());
    }

    /// <summary>
    /// One UDP datagram to <see cref="Target"/> port 53 with a partial checksum, as the client's
    /// kernel hands it over; aimed, its header points the checksum at the destination port.
    /// </summary>
    private static void Send(TunDevice inject, string text, bool aimAtPort)
    {
        var whole = NatPackets.Udp(NetAddress.Parse(Client), NetAddress.Parse(Target), 40000, 53, Encoding.ASCII.GetBytes(text));
        var (header, packet) = Offloaded.Partial(whole);
        if (aimAtPort)
        {
            header = header with { ChecksumStart = (ushort)(header.ChecksumStart + 2), ChecksumOffset = 0 };
        }
        Assert.True(inject.Write(0, Offloaded.Frame(header, packet)), "the client namespace's kernel refused the datagram");
    }

    /// <summary>The payload and destination port of the next UDP datagram to <see cref="Target"/> that leaves behind the uplink host.</summary>
    private static (string Text, int Port) NextDatagram(TunDevice beyond)
    {
        var buffer = new byte[beyond.MaxReadLength];
        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline)
        {
            var length = beyond.TryRead(0, buffer);
            if (length <= 0)
            {
                Thread.Sleep(5);
                continue;
            }
            var packet = buffer.AsSpan(0, length);
            if (PacketParser.TryParse(packet, out var info, out _) && info.Protocol == IpProtocol.Udp
                && info.Destination == NetAddress.Parse(Target))
            {
                var transport = packet[info.TransportOffset..info.TotalLength];
                Assert.Equal(0, Checksum.Finish(Checksum.Add(
                    Checksum.PseudoHeader(info.Source, info.Destination, IpProtocol.Udp, transport.Length), transport)));
                return (Encoding.ASCII.GetString(transport[8..]), BinaryPrimitives.ReadUInt16BigEndian(transport[2..]));
            }
        }
        Assert.Fail($"no datagram to {Target} left by {beyond.Name} within 5 s");
        return default;
    }
}
