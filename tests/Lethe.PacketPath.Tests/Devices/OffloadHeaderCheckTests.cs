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
}
