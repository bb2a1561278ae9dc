using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class Ipv6PacketTests
{
    // smoltcp src/wire/ipv6.rs REPR_PACKET_BYTES: fe80::1 → ff02::1, hop limit 64, UDP 1 → 2 with 4 bytes of ff.
    private static readonly byte[] PacketBytes =
    [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40,
        0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x01, 0x00, 0x02, 0x00, 0x0c, 0x02, 0x4e, 0xff, 0xff, 0xff, 0xff,
    ];

    [Fact]
    public void reads_every_field_of_the_fixture()
    {
        Assert.True(Ipv6Packet.TryParse(PacketBytes.AsSpan(), out var ip, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(6, ip.Version);
        Assert.Equal(0, ip.TrafficClass);
        Assert.Equal(0u, ip.FlowLabel);
        Assert.Equal(12, ip.PayloadLength);
        Assert.Equal(IpProtocol.Udp, ip.NextHeader);
        Assert.Equal(64, ip.HopLimit);
        Assert.Equal(NetAddress.Parse("fe80::1"), ip.Source);
        Assert.Equal(NetAddress.Parse("ff02::1"), ip.Destination);
        Assert.Equal(52, ip.TotalLength);
        Assert.Equal(PacketBytes[40..], ip.Payload.ToArray());
        Assert.True(UdpDatagram.TryParse(ip.Payload, out var udp, out _));
        Assert.True(udp.VerifyChecksum(ip.Source, ip.Destination));
    }

    [Fact]
    public void setters_rebuild_the_fixture_from_zeros()
    {
        var bytes = new byte[PacketBytes.Length];
        bytes[0] = 0x60;
        var ip = Ipv6Packet.Unchecked(bytes);
        ip.PayloadLength = 12;
        ip.NextHeader = IpProtocol.Udp;
        ip.HopLimit = 64;
        ip.Source = NetAddress.Parse("fe80::1");
        ip.Destination = NetAddress.Parse("ff02::1");
        PacketBytes.AsSpan(40).CopyTo(ip.Payload);
        Assert.Equal(PacketBytes, bytes);
    }

    [Fact]
    public void traffic_class_and_flow_label_share_the_first_word_with_the_version()
    {
        var bytes = PacketBytes.ToArray();
        bytes[0] = 0x6a;
        bytes[1] = 0xbc;
        bytes[2] = 0xde;
        bytes[3] = 0xf0;
        var ip = Ipv6Packet.Unchecked(bytes);
        Assert.Equal(0xab, ip.TrafficClass);
        Assert.Equal(0xcdef0u, ip.FlowLabel);

        ip.TrafficClass = 0x12;
        ip.FlowLabel = 0x34567;
        Assert.Equal(new byte[] { 0x61, 0x23, 0x45, 0x67 }, bytes[..4]);
        Assert.Equal(6, ip.Version);
    }

    [Fact]
    public void payload_stops_at_the_payload_length_of_an_overlong_buffer()
    {
        byte[] overlong = [.. PacketBytes, 0x01, 0x02, 0x03];
        Assert.True(Ipv6Packet.TryParse(overlong, out var ip, out _));
        Assert.Equal(52, ip.TotalLength);
        Assert.Equal(12, ip.Payload.Length);
    }

    [Fact]
    public void every_truncation_of_the_fixture_drops_with_Truncated()
    {
        for (var length = 0; length < PacketBytes.Length; length++)
        {
            Assert.False(Ipv6Packet.TryParse(PacketBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x00)]
    [InlineData(0x70)]
    public void another_version_drops_with_BadIpVersion(byte first)
    {
        var bytes = PacketBytes.ToArray();
        bytes[0] = first;
        Assert.False(Ipv6Packet.TryParse(bytes, out _, out var reason));
        Assert.Equal(DropReason.BadIpVersion, reason);
    }

    [Fact]
    public void the_walk_of_a_packet_without_extension_headers_ends_at_40()
    {
        Assert.True(Ipv6Packet.TryParse(PacketBytes.AsSpan(), out var ip, out _));
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out _));
        Assert.Equal(new Ipv6HeaderChain(IpProtocol.Udp, 40, 0, 0, false, 0), chain);
        Assert.False(chain.HasFragmentHeader);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, 48)]
    [InlineData(new byte[] { 43 }, 48)]
    [InlineData(new byte[] { 60 }, 48)]
    [InlineData(new byte[] { 51 }, 64)]
    [InlineData(new byte[] { 44 }, 48)]
    [InlineData(new byte[] { 0, 43, 60 }, 64)]
    [InlineData(new byte[] { 0, 60, 43, 44, 51, 60 }, 104)]
    public void the_walk_follows_extension_headers_to_the_transport(byte[] extensions, int transportOffset)
    {
        var bytes = Packets.Udp("2001:db8::5", "2001:db8::53", 5353, 53, payload: 11, extensionHeaders: extensions);
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.Equal(extensions[0], ip.NextHeader);
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out var reason), reason.ToString());
        Assert.Equal(IpProtocol.Udp, chain.Protocol);
        Assert.Equal(transportOffset, chain.TransportOffset);
        Assert.Equal(Array.IndexOf(extensions, IpProtocol.Fragment) >= 0, chain.HasFragmentHeader);
        Assert.False(chain.IsFragment);
    }

    [Fact]
    public void eight_extension_headers_are_walked_and_nine_drop_with_BadExtensionHeader()
    {
        var eight = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, extensionHeaders: [0, 60, 60, 60, 60, 60, 60, 60]);
        Assert.True(Ipv6Packet.TryParse(eight, out var ip, out _));
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out _));
        Assert.Equal(40 + 8 * 8, chain.TransportOffset);

        var nine = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, extensionHeaders: [0, 60, 60, 60, 60, 60, 60, 60, 60]);
        Assert.True(Ipv6Packet.TryParse(nine, out ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadExtensionHeader, reason);
    }

    [Fact]
    public void hop_by_hop_anywhere_but_first_drops_with_BadExtensionHeader()
    {
        var bytes = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, extensionHeaders: [60, 0]);
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadExtensionHeader, reason);
    }

    [Fact]
    public void a_second_fragment_header_drops_with_BadExtensionHeader()
    {
        var bytes = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, extensionHeaders: [44, 44]);
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadExtensionHeader, reason);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(0, 200)]
    [InlineData(51, 200)]
    public void an_extension_header_longer_than_the_payload_drops_with_BadExtensionHeader(byte type, byte lengthField)
    {
        var bytes = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, extensionHeaders: [type]);
        bytes[41] = lengthField;
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadExtensionHeader, reason);
    }

    [Fact]
    public void an_extension_header_announced_with_no_bytes_left_drops_with_BadExtensionHeader()
    {
        var bytes = Packets.Ip("2001:db8::5", "2001:db8::53", IpProtocol.DestinationOptions, []);
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadExtensionHeader, reason);
    }

    [Theory]
    [InlineData(IpProtocol.Esp)]
    [InlineData(IpProtocol.NoNextHeader)]
    [InlineData(47)]
    public void esp_no_next_header_and_unknown_protocols_end_the_walk(byte protocol)
    {
        var bytes = Packets.Ip("2001:db8::5", "2001:db8::53", protocol, [0, 60, 1, 2, 3, 4, 5, 6, 7, 8], extensionHeaders: [0]);
        Assert.True(Ipv6Packet.TryParse(bytes, out var ip, out _));
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out _));
        Assert.Equal(protocol, chain.Protocol);
        Assert.Equal(48, chain.TransportOffset);
    }

    [Fact]
    public void a_first_fragment_walks_on_to_the_transport()
    {
        var whole = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, payload: 100, extensionHeaders: [0, 60]);
        var first = Packets.Fragment(whole, 0, 64, identification: 0xabcdef01);
        Assert.True(Ipv6Packet.TryParse(first, out var ip, out _));
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out _));
        Assert.Equal(new Ipv6HeaderChain(IpProtocol.Udp, 64, 48, 0, true, 0xabcdef01), chain);
        Assert.True(chain.IsFragment);
        Assert.Equal(56, chain.FragmentDataOffset);
    }

    [Fact]
    public void a_later_fragment_stops_after_the_fragment_header()
    {
        var whole = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, payload: 100, extensionHeaders: [0, 60]);
        var later = Packets.Fragment(whole, 64, 52, identification: 7);
        Assert.True(Ipv6Packet.TryParse(later, out var ip, out _));
        Assert.True(ip.TryWalkExtensionHeaders(out var chain, out _));
        Assert.Equal(new Ipv6HeaderChain(IpProtocol.DestinationOptions, 56, 48, 64, false, 7), chain);
        Assert.True(chain.IsFragment);
    }

    [Fact]
    public void a_first_fragment_that_cuts_the_chain_drops_with_BadFragment()
    {
        var whole = Packets.Udp("2001:db8::5", "2001:db8::53", 1, 2, payload: 100, extensionHeaders: [60]);
        var first = Packets.Fragment(whole, 0, 8);
        first[49] = 1;
        Assert.True(Ipv6Packet.TryParse(first, out var ip, out _));
        Assert.False(ip.TryWalkExtensionHeaders(out _, out var reason));
        Assert.Equal(DropReason.BadFragment, reason);
    }

    [Fact]
    public void decrementing_the_hop_limit_needs_no_checksum()
    {
        var bytes = PacketBytes.ToArray();
        var ip = Ipv6Packet.Unchecked(bytes);
        ip.HopLimit--;
        Assert.Equal(63, bytes[7]);
    }
}
