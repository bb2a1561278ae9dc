using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// Which virtio-net headers the workers pass on with their packet: only those that ask the kernel
/// for the checksum and segmentation of the packet's own transport (the live consequence is in
/// Forwarding/OffloadHeaderTests).
/// </summary>
public class OffloadHeaderCheckTests
{
    private static readonly byte[] DestinationOptions = [IpProtocol.DestinationOptions];

    private static byte[] Packet(string kind) => kind switch
    {
        "tcp4" => Packets.Tcp("10.137.0.5", "198.51.100.7", 40000, 443, TcpFlags.Ack, payload: 3000),
        "udp4" => Packets.Udp("10.137.0.5", "198.51.100.7", 40000, 53, payload: 3000),
        "tcp6" => Packets.Tcp("2001:db8::5", "2001:db8:1::10", 40000, 443, TcpFlags.Ack, payload: 3000),
        "udp6" => Packets.Udp("2001:db8::5", "2001:db8:1::10", 40000, 53, payload: 3000),
        "tcp6-ext" => Packets.Tcp("2001:db8::5", "2001:db8:1::10", 40000, 443, TcpFlags.Ack, payload: 3000, extensionHeaders: DestinationOptions),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [InlineData("tcp4")]
    [InlineData("udp4")]
    [InlineData("tcp6")]
    [InlineData("udp6")]
    [InlineData("tcp6-ext")]
    public void the_kernels_own_headers_fit_whole_and_segmented(string kind)
    {
        var (plain, packet) = Offloaded.Partial(Packet(kind));
        var (segmented, _) = Offloaded.Partial(Packet(kind), gsoSize: 1000);
        var info = Packets.Parse(packet);

        Assert.True(OffloadHeaderCheck.Fits(VirtioNetHeader.None, info));
        Assert.True(OffloadHeaderCheck.Fits(plain, info));
        Assert.True(OffloadHeaderCheck.Fits(segmented, info));
    }

    [Theory]
    [InlineData("tcp4", 2, 0)]     // at the destination port
    [InlineData("tcp4", 0, 14)]    // at the urgent pointer
    [InlineData("udp4", 0, 16)]    // past the UDP header, where TCP keeps it
    [InlineData("tcp6", -24, 16)]  // at the last word of the source address
    [InlineData("udp6", 0, 2)]
    [InlineData("tcp6-ext", -8, 16)] // where TCP would start without the extension header
    public void a_checksum_aimed_anywhere_but_the_transports_checksum_field_does_not_fit(string kind, int startShift, int offset)
    {
        var (header, packet) = Offloaded.Partial(Packet(kind));
        var aimed = header with { ChecksumStart = (ushort)(header.ChecksumStart + startShift), ChecksumOffset = (ushort)offset };

        Assert.False(OffloadHeaderCheck.Fits(aimed, Packets.Parse(packet)));
    }

    [Fact]
    public void a_partial_checksum_on_anything_but_tcp_or_udp_does_not_fit()
    {
        var echo = Packets.IcmpEcho("10.137.0.5", "198.51.100.7", 7, 1);
        var info = Packets.Parse(echo);
        var header = new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, (ushort)info.TransportOffset, 2);

        Assert.False(OffloadHeaderCheck.Fits(header, info));
    }

    [Theory]
    [InlineData("tcp4", VirtioGsoType.TcpV6)]
    [InlineData("tcp6", VirtioGsoType.TcpV4)]
    [InlineData("udp4", VirtioGsoType.TcpV4)]
    [InlineData("tcp4", VirtioGsoType.UdpL4)]
    [InlineData("udp6", VirtioGsoType.Udp)] // UFO, which Lethe never enables
    [InlineData("tcp4", (VirtioGsoType)2)]  // no such type
    public void a_segmentation_of_another_kind_than_the_packet_does_not_fit(string kind, VirtioGsoType gso)
    {
        var (header, packet) = Offloaded.Partial(Packet(kind), gsoSize: 1000);

        Assert.False(OffloadHeaderCheck.Fits(header with { GsoType = gso }, Packets.Parse(packet)));
        Assert.False(OffloadHeaderCheck.Fits(header with { GsoType = gso | VirtioGsoType.Ecn }, Packets.Parse(packet)));
    }

    [Theory]
    [InlineData("10.137.0.5", "198.51.100.7", 1480, VirtioGsoType.UdpL4)]
    [InlineData("fd00::5", "2001:db8::7", 1448, VirtioGsoType.UdpL4)]
    [InlineData("10.137.0.5", "198.51.100.7", 1480, VirtioGsoType.TcpV4)]
    public void a_segmentation_header_on_a_fragment_does_not_fit(string source, string destination, int dataPerFragment, VirtioGsoType gso)
    {
        var first = Packets.Fragments(Packets.Udp(source, destination, 5353, 53, payload: 3000), dataPerFragment)[0];
        var header = new VirtioNetHeader(VirtioNetFlags.None, gso, 0, 536, 0, 0);

        Assert.False(OffloadHeaderCheck.Fits(header, Packets.Parse(first)));
        Assert.True(OffloadHeaderCheck.Fits(header with { GsoType = VirtioGsoType.None, GsoSize = 0 }, Packets.Parse(first)));
    }

    /// <summary>
    /// A client's tunnel as the kernel hands it to a TUN device (Linux 6.17+): an inner TCP segment whose checksum is
    /// partial, carried in IPIP, GRE or VXLAN; the header points at the inner transport.
    /// </summary>
    private static (VirtioNetHeader Header, byte[] Packet, int Inner) Tunnelled(string kind)
    {
        var (innerHeader, inner) = Offloaded.Partial(Packets.Tcp("10.200.0.1", "10.200.0.2", 40000, 443, TcpFlags.Ack, payload: 1000));
        var (protocol, wrapper) = kind switch
        {
            "ipip" => ((byte)4, Array.Empty<byte>()),
            "gre" => ((byte)47, new byte[] { 0, 0, 0x08, 0x00 }),
            // UDP header (outer checksum 0: none) and the VXLAN header, then an Ethernet header for IPv4.
            "vxlan" => (IpProtocol.Udp, Vxlan(inner.Length)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var outer = Packets.Ip("10.137.0.5", "198.51.100.7", protocol, [.. wrapper, .. inner], dontFragment: true);
        var innerAt = 20 + wrapper.Length;
        var header = new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0,
            (ushort)(innerAt + innerHeader.ChecksumStart), VirtioNetHeader.TcpChecksumOffset);
        return (header, outer, innerAt);
    }

    private static byte[] Vxlan(int innerLength)
    {
        var bytes = new byte[8 + 8 + 14];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes, 50000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), 4789);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)(bytes.Length + innerLength));
        bytes[8] = 0x08;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(16 + 12), 0x0800);
        return bytes;
    }

    [Theory]
    [InlineData("ipip")]
    [InlineData("gre")]
    [InlineData("vxlan")]
    public void a_tunnels_inner_checksum_is_no_fit_but_is_completed_in_place(string kind)
    {
        var (header, packet, innerAt) = Tunnelled(kind);
        var info = Packets.Parse(packet);

        Assert.False(OffloadHeaderCheck.Fits(header, info));
        Assert.True(OffloadHeaderCheck.IsInnerChecksumOnly(header, info, packet));
        Assert.True(Segmentation.CompleteChecksum(header, packet));
        var inner = Packets.Parse(packet.AsSpan(innerAt).ToArray());
        Assert.True(TcpSegment.Unchecked(packet.AsSpan(innerAt + inner.TransportOffset)).VerifyChecksum(inner.Source, inner.Destination));
    }

    [Theory]
    [InlineData("tcp4", 2, 0)]     // at the destination port
    [InlineData("udp4", 0, 16)]    // the UDP header's own first bytes
    [InlineData("udp4", 6, 0)]     // the UDP checksum field, as a start
    [InlineData("tcp4", 19, 0)]    // inside the TCP header, past its fixed part
    [InlineData("udp4", 8, 1)]     // an odd offset
    [InlineData("udp4", 8, 4000)]  // past the packet's end
    public void a_checksum_aimed_at_what_the_firewall_judges_or_rewrites_is_not_an_inner_one(string kind, int fromTransport, int offset)
    {
        var packet = Packet(kind);
        var info = Packets.Parse(packet);
        var header = new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, (ushort)(info.TransportOffset + fromTransport), (ushort)offset);

        Assert.False(OffloadHeaderCheck.IsInnerChecksumOnly(header, info, packet));
    }

    [Fact]
    public void a_segmented_or_icmp_packet_has_no_inner_checksum_to_complete()
    {
        var (header, packet, _) = Tunnelled("vxlan");
        var echo = Packets.IcmpEcho("10.137.0.5", "198.51.100.7", 7, 1, payload: 64);
        var echoInfo = Packets.Parse(echo);

        Assert.False(OffloadHeaderCheck.IsInnerChecksumOnly(header with { GsoType = VirtioGsoType.UdpL4, GsoSize = 500 }, Packets.Parse(packet), packet));
        Assert.False(OffloadHeaderCheck.IsInnerChecksumOnly(
            new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, (ushort)(echoInfo.TransportOffset + 8), 2), echoInfo, echo));
    }
}
