using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class UdpDatagramTests
{
    private static readonly NetAddress Source = NetAddress.Parse("192.168.1.1");
    private static readonly NetAddress Destination = NetAddress.Parse("192.168.1.2");

    // smoltcp src/wire/udp.rs PACKET_BYTES: 48896 → 53, length 12, checksum 124d.
    private static readonly byte[] DatagramBytes = [0xbf, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x12, 0x4d, 0xaa, 0x00, 0x00, 0xff];

    [Fact]
    public void reads_every_field_of_the_fixture()
    {
        Assert.True(UdpDatagram.TryParse(DatagramBytes.AsSpan(), out var udp, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(48896, udp.SourcePort);
        Assert.Equal(53, udp.DestinationPort);
        Assert.Equal(12, udp.Length);
        Assert.Equal(0x124d, udp.Checksum);
        Assert.Equal(new byte[] { 0xaa, 0x00, 0x00, 0xff }, udp.Payload.ToArray());
        Assert.True(udp.VerifyChecksum(Source, Destination));
    }

    [Fact]
    public void setters_rebuild_the_fixture_from_zeros()
    {
        var bytes = new byte[DatagramBytes.Length];
        var udp = UdpDatagram.Unchecked(bytes);
        udp.SourcePort = 48896;
        udp.DestinationPort = 53;
        udp.Length = 12;
        new byte[] { 0xaa, 0x00, 0x00, 0xff }.CopyTo(udp.Payload);
        udp.FillChecksum(Source, Destination);
        Assert.Equal(DatagramBytes, bytes);
    }

    [Fact]
    public void every_truncation_drops_with_Truncated()
    {
        for (var length = 0; length < DatagramBytes.Length; length++)
        {
            Assert.False(UdpDatagram.TryParse(DatagramBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void a_length_under_the_header_drops_with_BadTransportHeader(int length)
    {
        var bytes = DatagramBytes.ToArray();
        bytes[5] = (byte)length;
        Assert.False(UdpDatagram.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadTransportHeader, reason);
    }

    [Fact]
    public void payload_stops_at_the_length_field_of_an_overlong_buffer()
    {
        byte[] overlong = [.. DatagramBytes, 0x11, 0x22];
        Assert.True(UdpDatagram.TryParse(overlong, out var udp, out _));
        Assert.Equal(4, udp.Payload.Length);
        Assert.True(udp.VerifyChecksum(Source, Destination));
    }

    [Fact]
    public void a_zero_checksum_means_none_over_ipv4_but_not_over_ipv6()
    {
        var bytes = DatagramBytes.ToArray();
        var udp = UdpDatagram.Unchecked(bytes);
        udp.Checksum = 0;
        Assert.True(udp.VerifyChecksum(Source, Destination));
        Assert.False(udp.VerifyChecksum(NetAddress.Parse("fe80::1"), NetAddress.Parse("ff02::1")));
    }

    [Fact]
    public void a_checksum_that_computes_to_zero_is_sent_as_ffff()
    {
        var bytes = new byte[10];
        var udp = UdpDatagram.Unchecked(bytes);
        udp.SourcePort = 1234;
        udp.DestinationPort = 5678;
        udp.Length = 10;
        // Choose the last data word so the whole sum folds to ffff, whose complement is 0.
        var sum = Checksum.Add(Checksum.PseudoHeader(Source, Destination, IpProtocol.Udp, 10), bytes);
        var folded = (ushort)~Checksum.Finish(sum);
        bytes[8] = (byte)(~folded >> 8);
        bytes[9] = (byte)~folded;

        Assert.Equal(0xFFFF, udp.ComputeChecksum(Source, Destination));
        udp.FillChecksum(Source, Destination);
        Assert.True(udp.VerifyChecksum(Source, Destination));
    }
}
