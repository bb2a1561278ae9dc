using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class PcapReaderTests
{
    [Fact]
    public void a_record_that_captured_nothing_is_read_as_an_empty_record_and_the_file_goes_on()
    {
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        writer.Write(1_000_000, []);
        writer.Write(2_000_000, [0x45, 0, 0, 4]);
        writer.Flush();
        stream.Position = 0;
        var reader = new PcapReader(stream);
        var buffer = new byte[2048];

        Assert.True(reader.TryRead(buffer, out var firstAt, out var firstLength, out _, out _));
        Assert.True(reader.TryRead(buffer, out var secondAt, out var secondLength, out _, out _));
        Assert.False(reader.TryRead(buffer, out _, out _, out _, out _));

        Assert.Equal((1_000_000L, 0), (firstAt, firstLength));
        Assert.Equal((2_000_000L, 4), (secondAt, secondLength));
    }

    [Fact]
    public void a_record_cut_short_is_still_an_error()
    {
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        writer.Write(1_000_000, [0x45, 0, 0, 4]);
        writer.Flush();
        var cut = stream.ToArray()[..^2];
        var reader = new PcapReader(new MemoryStream(cut));

        Assert.Throws<InvalidDataException>(() => reader.TryRead(new byte[2048], out _, out _, out _, out _));
    }

    [Fact]
    public void the_link_type_is_its_low_sixteen_bits_whatever_the_frame_check_sequence_bits_above_say()
    {
        using var stream = new MemoryStream();
        new PcapWriter(stream).Flush();
        var header = stream.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 0x24000001);

        Assert.Equal(PcapReader.LinkTypeEthernet, new PcapReader(new MemoryStream(header)).LinkType);
    }

    [Fact]
    public void a_file_shorter_than_the_global_header_is_not_a_pcap_file()
    {
        var error = Assert.Throws<InvalidDataException>(() => new PcapReader(new MemoryStream(new byte[10])));

        Assert.Equal("not a pcap file: shorter than the 24-byte global header", error.Message);
    }

    [Fact]
    public void a_record_cut_by_the_snaplen_says_how_long_the_packet_was()
    {
        using var stream = new MemoryStream();
        var writer = new PcapWriter(stream, snapLength: 4);
        writer.Write(1_000_000, [0x45, 0, 0, 8, 1, 2, 3, 4], captured: 4);
        writer.Flush();
        stream.Position = 0;
        var reader = new PcapReader(stream);

        Assert.True(reader.TryRead(new byte[2048], out _, out var captured, out _, out _));
        Assert.Equal((4, 8, 1L), (captured, reader.OriginalLength, reader.Record));
    }
}
