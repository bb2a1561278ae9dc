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
}
