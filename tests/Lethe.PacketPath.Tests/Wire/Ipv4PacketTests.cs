using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class Ipv4PacketTests
{
    // smoltcp src/wire/ipv4.rs PACKET_BYTES: DF and MF set, offset 0x203 × 8, TTL 0x1a, ICMP, 17.18.19.20 → 33.34.35.36.
    private static readonly byte[] PacketBytes =
    [
        0x45, 0x00, 0x00, 0x1e, 0x01, 0x02, 0x62, 0x03, 0x1a, 0x01, 0xd5, 0x6e, 0x11, 0x12, 0x13, 0x14,
        0x21, 0x22, 0x23, 0x24, 0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    ];

    private static readonly byte[] PayloadBytes = [0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff];

    // The same header with IHL 7: a Router Alert option (RFC 2113) and four NOPs.
    private static readonly byte[] WithOptions =
    [
        0x47, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 0x0a, 0x89, 0x00, 0x05,
        0xc0, 0x00, 0x02, 0x0a, 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0xde, 0xad, 0xbe, 0xef,
    ];

    [Fact]
    public void reads_every_field_of_the_fixture()
    {
        Assert.True(Ipv4Packet.TryParse(PacketBytes.AsSpan(), out var ip, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(4, ip.Version);
        Assert.Equal(20, ip.HeaderLength);
        Assert.Equal(0, ip.TypeOfService);
        Assert.Equal(30, ip.TotalLength);
        Assert.Equal(0x102, ip.Identification);
        Assert.True(ip.DontFragment);
        Assert.True(ip.MoreFragments);
        Assert.True(ip.IsFragment);
        Assert.Equal(0x203 * 8, ip.FragmentOffset);
        Assert.Equal(0x1a, ip.TimeToLive);
        Assert.Equal(IpProtocol.Icmp, ip.Protocol);
        Assert.Equal(0xd56e, ip.HeaderChecksum);
        Assert.Equal(NetAddress.Parse("17.18.19.20"), ip.Source);
        Assert.Equal(NetAddress.Parse("33.34.35.36"), ip.Destination);
        Assert.True(ip.VerifyHeaderChecksum());
        Assert.Equal(PayloadBytes, ip.Payload.ToArray());
        Assert.True(ip.Options.IsEmpty);
    }

    [Fact]
    public void setters_rebuild_the_fixture_from_zeros()
    {
        var bytes = new byte[30];
        bytes[0] = 0x45;
        var ip = Ipv4Packet.Unchecked(bytes);
        ip.TotalLength = 30;
        ip.Identification = 0x102;
        ip.DontFragment = true;
        ip.MoreFragments = true;
        ip.FragmentOffset = 0x203 * 8;
        ip.TimeToLive = 0x1a;
        ip.Protocol = IpProtocol.Icmp;
        ip.Source = NetAddress.Parse("17.18.19.20");
        ip.Destination = NetAddress.Parse("33.34.35.36");
        PayloadBytes.CopyTo(ip.Payload);
        ip.FillHeaderChecksum();
        Assert.Equal(PacketBytes, bytes);
    }

    [Fact]
    public void clearing_flags_keeps_the_fragment_offset()
    {
        var bytes = PacketBytes.ToArray();
        var ip = Ipv4Packet.Unchecked(bytes);
        ip.DontFragment = false;
        ip.MoreFragments = false;
        Assert.Equal(0x203 * 8, ip.FragmentOffset);
        Assert.True(ip.IsFragment);
        ip.FragmentOffset = 0;
        Assert.False(ip.IsFragment);
        Assert.Equal(0, bytes[6] | bytes[7]);
    }

    [Fact]
    public void payload_stops_at_the_total_length_of_an_overlong_buffer()
    {
        byte[] overlong = [.. PacketBytes, 0x01, 0x02, 0x03, 0x04];
        Assert.True(Ipv4Packet.TryParse(overlong, out var ip, out _));
        Assert.Equal(PayloadBytes, ip.Payload.ToArray());
    }

    [Fact]
    public void every_truncation_of_the_fixture_drops_with_Truncated()
    {
        for (var length = 0; length < PacketBytes.Length; length++)
        {
            Assert.False(Ipv4Packet.TryParse(PacketBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [InlineData(0x05)]
    [InlineData(0x55)]
    [InlineData(0x65)]
    [InlineData(0xf5)]
    public void another_version_drops_with_BadIpVersion(byte first)
    {
        var bytes = PacketBytes.ToArray();
        bytes[0] = first;
        Assert.False(Ipv4Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadIpVersion, reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void a_header_length_under_five_words_drops_with_BadHeaderLength(int ihl)
    {
        var bytes = PacketBytes.ToArray();
        bytes[0] = (byte)(0x40 | ihl);
        Assert.False(Ipv4Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadHeaderLength, reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    public void a_total_length_shorter_than_the_header_drops_with_BadTotalLength(int totalLength)
    {
        var bytes = PacketBytes.ToArray();
        bytes[2] = (byte)(totalLength >> 8);
        bytes[3] = (byte)totalLength;
        Assert.False(Ipv4Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadTotalLength, reason);
    }

    [Fact]
    public void a_header_length_past_the_buffer_drops_with_Truncated()
    {
        var bytes = PacketBytes.ToArray();
        bytes[0] = 0x4f;
        Assert.False(Ipv4Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.Truncated, reason);
    }

    [Fact]
    public void options_sit_between_the_fixed_header_and_the_payload()
    {
        var bytes = WithOptions.ToArray();
        Ipv4Packet.Unchecked(bytes).FillHeaderChecksum();
        Assert.True(Ipv4Packet.TryParse(bytes, out var ip, out _));
        Assert.Equal(28, ip.HeaderLength);
        Assert.Equal(new byte[] { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01 }, ip.Options.ToArray());
        Assert.Equal(new byte[] { 0xde, 0xad, 0xbe, 0xef }, ip.Payload.ToArray());
        Assert.True(ip.VerifyHeaderChecksum());
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01 })]
    [InlineData(new byte[] { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 0x94, 0x04, 0x00, 0x00, 0x44, 0x04, 0x05, 0x00 })]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x07, 0x03, 0x04, 0x00 })]
    public void well_formed_options_parse(byte[] options)
    {
        var bytes = WithOptions.ToArray();
        options.CopyTo(bytes, 20);
        Assert.True(Ipv4Packet.TryParse(bytes, out _, out var reason), reason.ToString());
    }

    [Theory]
    [InlineData(new byte[] { 0x94, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01 })]
    [InlineData(new byte[] { 0x94, 0x01, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01 })]
    [InlineData(new byte[] { 0x07, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x94 })]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x07, 0x02 })] // record route with no room for its pointer: Linux refuses it
    public void an_option_whose_length_is_under_2_or_past_the_header_drops_with_BadHeaderLength(byte[] options)
    {
        var bytes = WithOptions.ToArray();
        options.CopyTo(bytes, 20);
        Assert.False(Ipv4Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadHeaderLength, reason);
    }

    [Fact]
    public void rewriting_a_field_breaks_the_checksum_until_it_is_filled_again()
    {
        var bytes = PacketBytes.ToArray();
        Assert.True(Ipv4Packet.TryParse(bytes, out var ip, out _));
        ip.Source = NetAddress.Parse("203.0.113.7");
        Assert.False(ip.VerifyHeaderChecksum());
        ip.FillHeaderChecksum();
        Assert.True(ip.VerifyHeaderChecksum());
        Assert.Equal(NetAddress.Parse("203.0.113.7"), ip.Source);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(2)]
    [InlineData(255)]
    public void decrementing_the_ttl_keeps_the_checksum_valid(byte ttl)
    {
        var bytes = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 9, ttl: ttl, ipv4Options: [0x94, 0x04, 0x00, 0x00]);
        Assert.True(Ipv4Packet.TryParse(bytes, out var ip, out _));
        ip.DecrementTimeToLive();
        Assert.Equal(ttl - 1, ip.TimeToLive);
        Assert.True(ip.VerifyHeaderChecksum());
        Assert.Equal(ip.ComputeHeaderChecksum(), ip.HeaderChecksum);
    }
}
