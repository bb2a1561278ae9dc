using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class TcpSegmentTests
{
    private static readonly NetAddress Source = NetAddress.Parse("192.168.1.1");
    private static readonly NetAddress Destination = NetAddress.Parse("192.168.1.2");

    // smoltcp src/wire/tcp.rs PACKET_BYTES: 48896 → 80, FIN|RST|ACK|URG, window scale option, 4 bytes of data.
    private static readonly byte[] SegmentBytes =
    [
        0xbf, 0x00, 0x00, 0x50, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x60, 0x35, 0x01, 0x23,
        0x01, 0xb6, 0x02, 0x01, 0x03, 0x03, 0x0c, 0x01, 0xaa, 0x00, 0x00, 0xff,
    ];

    [Fact]
    public void reads_every_field_of_the_fixture()
    {
        Assert.True(TcpSegment.TryParse(SegmentBytes.AsSpan(), out var tcp, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(48896, tcp.SourcePort);
        Assert.Equal(80, tcp.DestinationPort);
        Assert.Equal(0x01234567u, tcp.SequenceNumber);
        Assert.Equal(0x89abcdefu, tcp.AcknowledgementNumber);
        Assert.Equal(24, tcp.HeaderLength);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Rst | TcpFlags.Ack | TcpFlags.Urg, tcp.Flags);
        Assert.Equal(0x0123, tcp.WindowSize);
        Assert.Equal(0x01b6, tcp.Checksum);
        Assert.Equal(0x0201, tcp.UrgentPointer);
        Assert.Equal(new byte[] { 0x03, 0x03, 0x0c, 0x01 }, tcp.Options.ToArray());
        Assert.Equal(new byte[] { 0xaa, 0x00, 0x00, 0xff }, tcp.Payload.ToArray());
        Assert.True(tcp.VerifyChecksum(Source, Destination));
        Assert.Equal(0x01b6, tcp.ComputeChecksum(Source, Destination));
    }

    [Fact]
    public void setters_rebuild_the_fixture_from_zeros()
    {
        var bytes = new byte[SegmentBytes.Length];
        var tcp = TcpSegment.Unchecked(bytes);
        tcp.SourcePort = 48896;
        tcp.DestinationPort = 80;
        tcp.SequenceNumber = 0x01234567;
        tcp.AcknowledgementNumber = 0x89abcdef;
        tcp.HeaderLength = 24;
        tcp.Flags = TcpFlags.Fin | TcpFlags.Rst | TcpFlags.Ack | TcpFlags.Urg;
        tcp.WindowSize = 0x0123;
        tcp.UrgentPointer = 0x0201;
        new byte[] { 0x03, 0x03, 0x0c, 0x01 }.CopyTo(tcp.Options);
        new byte[] { 0xaa, 0x00, 0x00, 0xff }.CopyTo(tcp.Payload);
        tcp.FillChecksum(Source, Destination);
        Assert.Equal(SegmentBytes, bytes);
    }

    [Fact]
    public void every_truncation_of_the_header_drops_with_Truncated()
    {
        for (var length = 0; length < 24; length++)
        {
            Assert.False(TcpSegment.TryParse(SegmentBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Fact]
    public void a_segment_cut_inside_its_data_still_parses_since_tcp_has_no_length()
    {
        Assert.True(TcpSegment.TryParse(SegmentBytes.AsSpan(0, 25), out var tcp, out _));
        Assert.Equal(1, tcp.Payload.Length);
        Assert.False(tcp.VerifyChecksum(Source, Destination));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void a_data_offset_under_five_words_drops_with_BadTransportHeader(int dataOffset)
    {
        var bytes = SegmentBytes.ToArray();
        bytes[12] = (byte)(dataOffset << 4);
        Assert.False(TcpSegment.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadTransportHeader, reason);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(15)]
    public void a_data_offset_past_the_buffer_drops_with_Truncated(int dataOffset)
    {
        var bytes = SegmentBytes.ToArray();
        bytes[12] = (byte)(dataOffset << 4);
        Assert.False(TcpSegment.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.Truncated, reason);
    }

    [Fact]
    public void a_maximal_header_of_sixty_bytes_parses()
    {
        var bytes = new byte[60];
        bytes[12] = 0xf0;
        Assert.True(TcpSegment.TryParse(bytes, out var tcp, out _));
        Assert.Equal(40, tcp.Options.Length);
        Assert.True(tcp.Payload.IsEmpty);
    }

    [Fact]
    public void changing_a_port_needs_a_new_checksum()
    {
        var bytes = SegmentBytes.ToArray();
        Assert.True(TcpSegment.TryParse(bytes, out var tcp, out _));
        tcp.SourcePort = 61000;
        Assert.False(tcp.VerifyChecksum(Source, Destination));
        tcp.Checksum = Checksum.Update(tcp.Checksum, 48896, 61000);
        Assert.True(tcp.VerifyChecksum(Source, Destination));
        Assert.Equal(tcp.ComputeChecksum(Source, Destination), tcp.Checksum);
    }

    [Fact]
    public void setting_the_flags_leaves_the_data_offset_alone()
    {
        var bytes = SegmentBytes.ToArray();
        var tcp = TcpSegment.Unchecked(bytes);
        tcp.Flags = TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Cwr;
        Assert.Equal(24, tcp.HeaderLength);
        Assert.Equal(0xd2, bytes[13]);
    }
}
