using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class VirtioNetHeaderTests
{
    // A TSO4 super-packet with ECN as drivers/net/tun.c hands it over on x86-64: fields little-endian.
    private static readonly byte[] HeaderBytes = [0x01, 0x81, 0x42, 0x00, 0xa8, 0x05, 0x14, 0x00, 0x10, 0x00];

    [Fact]
    public void reads_every_field_of_the_fixture_little_endian()
    {
        var header = VirtioNetHeader.Read(HeaderBytes);

        Assert.Equal(VirtioNetFlags.NeedsChecksum, header.Flags);
        Assert.Equal(VirtioGsoType.TcpV4 | VirtioGsoType.Ecn, header.GsoType);
        Assert.Equal(VirtioGsoType.TcpV4, header.Gso);
        Assert.True(header.HasEcn);
        Assert.True(header.IsGso);
        Assert.True(header.NeedsChecksum);
        Assert.Equal(66, header.HeaderLength);
        Assert.Equal(1448, header.GsoSize);
        Assert.Equal(20, header.ChecksumStart);
        Assert.Equal(VirtioNetHeader.TcpChecksumOffset, header.ChecksumOffset);
    }

    [Fact]
    public void writes_the_fixture_back_byte_for_byte_and_nothing_past_it()
    {
        var bytes = Enumerable.Repeat((byte)0xEE, VirtioNetHeader.Size + 2).ToArray();

        new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV4 | VirtioGsoType.Ecn, 66, 1448, 20, 16).WriteTo(bytes);

        Assert.Equal(HeaderBytes, bytes[..VirtioNetHeader.Size]);
        Assert.Equal([0xEE, 0xEE], bytes[VirtioNetHeader.Size..]);
    }

    [Theory]
    [InlineData(VirtioNetFlags.None, VirtioGsoType.None, 0, 0, 0, 0)]
    [InlineData(VirtioNetFlags.DataValid, VirtioGsoType.None, 0, 0, 0, 0)]
    [InlineData(VirtioNetFlags.NeedsChecksum, VirtioGsoType.TcpV6, 74, 1428, 40, 16)]
    [InlineData(VirtioNetFlags.NeedsChecksum, VirtioGsoType.UdpL4, 28, 1200, 20, 6)]
    [InlineData(VirtioNetFlags.NeedsChecksum | VirtioNetFlags.DataValid, VirtioGsoType.Udp, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)]
    public void round_trips(VirtioNetFlags flags, VirtioGsoType gso, int headerLength, int gsoSize, int start, int offset)
    {
        var header = new VirtioNetHeader(flags, gso, (ushort)headerLength, (ushort)gsoSize, (ushort)start, (ushort)offset);
        var bytes = new byte[VirtioNetHeader.Size];

        header.WriteTo(bytes);

        Assert.Equal(header, VirtioNetHeader.Read(bytes));
    }

    [Fact]
    public void none_is_ten_zero_bytes()
    {
        var bytes = Enumerable.Repeat((byte)0xEE, VirtioNetHeader.Size).ToArray();

        VirtioNetHeader.None.WriteTo(bytes);

        Assert.Equal(new byte[VirtioNetHeader.Size], bytes);
        Assert.False(VirtioNetHeader.None.IsGso);
        Assert.False(VirtioNetHeader.None.NeedsChecksum);
    }

    [Fact]
    public void try_read_refuses_fewer_than_ten_bytes()
    {
        Assert.False(VirtioNetHeader.TryRead(HeaderBytes.AsSpan(0, 9), out var header));
        Assert.Equal(default, header);
        Assert.True(VirtioNetHeader.TryRead(HeaderBytes, out header));
        Assert.Equal(1448, header.GsoSize);
    }
}
