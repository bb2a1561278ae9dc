using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class PacketParserTests
{
    private static PacketInfo Parsed(byte[] packet)
    {
        Assert.True(PacketParser.TryParse(packet, out var info, out var reason), reason.ToString());
        Assert.Equal(DropReason.None, reason);
        return info;
    }

    private static DropReason Refused(byte[] packet)
    {
        Assert.False(PacketParser.TryParse(packet, out var info, out var reason));
        Assert.Equal(default, info);
        return reason;
    }

    [Fact]
    public void fills_every_field_of_an_ipv4_tcp_syn()
    {
        var info = Parsed(Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 0, ttl: 63, dontFragment: true, identification: 0x5151));
        Assert.Equal(4, info.Version);
        Assert.Equal(NetAddress.Parse("10.137.0.5"), info.Source);
        Assert.Equal(NetAddress.Parse("192.0.2.10"), info.Destination);
        Assert.Equal(IpProtocol.Tcp, info.Protocol);
        Assert.Equal(63, info.HopLimit);
        Assert.Equal(40, info.TotalLength);
        Assert.Equal(20, info.TransportOffset);
        Assert.Equal(40000, info.SourcePort);
        Assert.Equal(443, info.DestinationPort);
        Assert.Equal((byte)TcpFlags.Syn, info.TcpFlags);
        Assert.True(info.DontFragment);
        Assert.False(info.IsFragment);
        Assert.Equal(0x5151u, info.FragmentId);
        Assert.False(info.IsIcmpError);
        Assert.True(info.HasPorts);
    }

    [Fact]
    public void fills_every_field_of_an_ipv6_tcp_syn_ack()
    {
        var info = Parsed(Packets.Tcp("2001:db8::10", "2001:db8:1::5", 443, 40000, TcpFlags.Syn | TcpFlags.Ack, payload: 3, ttl: 57));
        Assert.Equal(6, info.Version);
        Assert.Equal(NetAddress.Parse("2001:db8::10"), info.Source);
        Assert.Equal(NetAddress.Parse("2001:db8:1::5"), info.Destination);
        Assert.Equal(IpProtocol.Tcp, info.Protocol);
        Assert.Equal(57, info.HopLimit);
        Assert.Equal(63, info.TotalLength);
        Assert.Equal(40, info.TransportOffset);
        Assert.Equal(443, info.SourcePort);
        Assert.Equal(40000, info.DestinationPort);
        Assert.Equal(0x12, info.TcpFlags);
        Assert.False(info.DontFragment);
        Assert.False(info.IsFragment);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.53", 5353, 53, 20, 28 + 20)]
    [InlineData("10.137.0.5", "192.0.2.53", 1, 65535, 0, 28)]
    [InlineData("2001:db8::5", "2001:db8::53", 5353, 53, 20, 48 + 20)]
    [InlineData("fe80::1", "ff02::fb", 5353, 5353, 100, 48 + 100)]
    public void reads_udp_ports_in_both_families(string source, string destination, int sourcePort, int destinationPort, int payload, int totalLength)
    {
        var info = Parsed(Packets.Udp(source, destination, (ushort)sourcePort, (ushort)destinationPort, payload));
        Assert.Equal(IpProtocol.Udp, info.Protocol);
        Assert.Equal(sourcePort, info.SourcePort);
        Assert.Equal(destinationPort, info.DestinationPort);
        Assert.Equal(totalLength, info.TotalLength);
        Assert.Equal(0, info.TcpFlags);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", true, IcmpV4Message.EchoRequest)]
    [InlineData("192.0.2.10", "10.137.0.5", false, IcmpV4Message.EchoReply)]
    [InlineData("2001:db8::5", "2001:db8::10", true, IcmpV6Message.EchoRequest)]
    [InlineData("2001:db8::10", "2001:db8::5", false, IcmpV6Message.EchoReply)]
    public void an_echo_puts_its_identifier_in_both_port_fields(string source, string destination, bool request, byte type)
    {
        var info = Parsed(Packets.IcmpEcho(source, destination, id: 0xbeef, sequence: 3, request: request, payload: 56));
        Assert.Equal(source.Contains(':') ? IpProtocol.IcmpV6 : IpProtocol.Icmp, info.Protocol);
        Assert.Equal(type, info.IcmpType);
        Assert.Equal(0, info.IcmpCode);
        Assert.Equal(0xbeef, info.SourcePort);
        Assert.Equal(0xbeef, info.DestinationPort);
        Assert.False(info.IsIcmpError);
        Assert.False(info.HasPorts);
    }

    [Theory]
    [InlineData(IcmpV4Message.TimestampRequest)]
    [InlineData(IcmpV4Message.TimestampReply)]
    [InlineData(IcmpV4Message.AddressMaskRequest)]
    public void other_icmp_queries_put_their_identifier_in_both_port_fields(byte type)
    {
        var info = Parsed(Packets.Icmp("10.137.0.5", "192.0.2.10", type, 0, new byte[12], restOfHeader: 0x0777_0001));
        Assert.Equal(type, info.IcmpType);
        Assert.Equal(0x0777, info.SourcePort);
        Assert.Equal(0x0777, info.DestinationPort);
    }

    [Theory]
    [InlineData("10.137.0.1", "10.137.0.5", 9)]
    [InlineData("fe80::1", "ff02::1", 134)]
    [InlineData("fe80::5", "ff02::1:ff00:1", 135)]
    public void icmp_that_is_neither_query_nor_error_has_no_ports(string source, string destination, byte type)
    {
        var info = Parsed(Packets.Icmp(source, destination, type, 0, new byte[16], restOfHeader: 0xffffffff));
        Assert.Equal(type, info.IcmpType);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(0, info.DestinationPort);
        Assert.False(info.IsIcmpError);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", 47)]
    [InlineData("10.137.0.5", "192.0.2.10", IpProtocol.IcmpV6)]
    [InlineData("10.137.0.5", "192.0.2.10", 132)]
    [InlineData("2001:db8::5", "2001:db8::10", 47)]
    [InlineData("2001:db8::5", "2001:db8::10", IpProtocol.Icmp)]
    [InlineData("2001:db8::5", "2001:db8::10", IpProtocol.Esp)]
    [InlineData("2001:db8::5", "2001:db8::10", IpProtocol.NoNextHeader)]
    public void an_unknown_transport_is_accepted_without_ports(string source, string destination, byte protocol)
    {
        var info = Parsed(Packets.Ip(source, destination, protocol, [1, 2, 3]));
        Assert.Equal(protocol, info.Protocol);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(0, info.DestinationPort);
        Assert.Equal(0, info.IcmpType);
        Assert.Equal(info.TotalLength - 3, info.TransportOffset);
    }

    [Theory]
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x01 }, 24)]
    [InlineData(new byte[] { 0x94, 0x04, 0x00, 0x00 }, 24)]
    [InlineData(new byte[] { 0x44, 0x24, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 60)]
    public void ipv4_options_move_the_transport_header(byte[] options, int transportOffset)
    {
        var info = Parsed(Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 22, TcpFlags.Ack, payload: 10, ipv4Options: options));
        Assert.Equal(transportOffset, info.TransportOffset);
        Assert.Equal(40000, info.SourcePort);
        Assert.Equal(22, info.DestinationPort);
        Assert.Equal((byte)TcpFlags.Ack, info.TcpFlags);
    }

    [Theory]
    [InlineData(new byte[] { 0 }, 48)]
    [InlineData(new byte[] { 0, 43, 60 }, 64)]
    [InlineData(new byte[] { 60, 51 }, 72)]
    [InlineData(new byte[] { 0, 60, 43, 44, 51, 60 }, 104)]
    public void ipv6_extension_headers_move_the_transport_header(byte[] extensions, int transportOffset)
    {
        var info = Parsed(Packets.Tcp("2001:db8::5", "2001:db8::10", 40000, 22, TcpFlags.Fin | TcpFlags.Ack, payload: 10, extensionHeaders: extensions));
        Assert.Equal(IpProtocol.Tcp, info.Protocol);
        Assert.Equal(transportOffset, info.TransportOffset);
        Assert.Equal(40000, info.SourcePort);
        Assert.Equal(22, info.DestinationPort);
        Assert.Equal(0x11, info.TcpFlags);
    }

    public static TheoryData<string, byte[]> ValidPackets => new()
    {
        { "ipv4 tcp", Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 12, tcpOptions: [2, 4, 5, 0xb4]) },
        { "ipv4 tcp with options", Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Ack, payload: 3, ipv4Options: [0x94, 4, 0, 0]) },
        { "ipv4 udp", Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 7) },
        { "ipv4 echo", Packets.IcmpEcho("10.137.0.5", "192.0.2.10", 1, 1) },
        { "ipv4 error", Packets.IcmpError("192.0.2.1", "10.137.0.5", 3, 3, Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 7)) },
        { "ipv6 tcp", Packets.Tcp("2001:db8::5", "2001:db8::10", 40000, 443, TcpFlags.Syn, payload: 5) },
        { "ipv6 udp with extension headers", Packets.Udp("2001:db8::5", "2001:db8::10", 5000, 53, payload: 9, extensionHeaders: [0, 43, 60]) },
        { "ipv6 echo", Packets.IcmpEcho("2001:db8::5", "2001:db8::10", 1, 1, payload: 8) },
        { "ipv6 error", Packets.IcmpError("2001:db8::1", "2001:db8::5", 1, 4, Packets.Udp("2001:db8::5", "2001:db8::10", 5000, 53, payload: 7, extensionHeaders: [60])) },
    };

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void every_truncation_drops_with_Truncated_and_never_throws(string name, byte[] packet)
    {
        Parsed(packet);
        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(PacketParser.TryParse(packet.AsSpan(0, length), out _, out var reason), $"{name} cut at {length}");
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void bytes_after_the_ip_total_length_are_ignored(string name, byte[] packet)
    {
        var info = Parsed(packet);
        var overlong = Parsed([.. packet, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);
        Assert.True(info.Equals(overlong), name);
    }

    [Fact]
    public void an_empty_packet_drops_with_Truncated()
    {
        Assert.Equal(DropReason.Truncated, Refused([]));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x15)]
    [InlineData(0x55)]
    [InlineData(0x75)]
    [InlineData(0xf5)]
    public void a_version_other_than_4_or_6_drops_with_BadIpVersion(byte first)
    {
        var packet = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53);
        packet[0] = first;
        Assert.Equal(DropReason.BadIpVersion, Refused(packet));
    }

    [Fact]
    public void a_tcp_data_offset_under_five_drops_with_BadTransportHeader()
    {
        var packet = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 8);
        packet[20 + 12] = 0x40;
        Assert.Equal(DropReason.BadTransportHeader, Refused(packet));
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10")]
    [InlineData("2001:db8::5", "2001:db8::10")]
    public void a_tcp_header_cut_by_the_ip_length_drops_with_BadTransportHeader(string source, string destination)
    {
        var segment = Packets.Tcp(source, destination, 40000, 443, TcpFlags.Syn);
        var header = source.Contains(':') ? 40 : 20;
        var cut = Packets.Ip(source, destination, IpProtocol.Tcp, segment[header..(header + 19)]);
        Assert.Equal(DropReason.BadTransportHeader, Refused(cut));
    }

    [Fact]
    public void a_tcp_data_offset_past_the_ip_length_drops_with_BadTransportHeader()
    {
        var packet = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 8);
        packet[20 + 12] = 0x80;
        Assert.Equal(DropReason.BadTransportHeader, Refused(packet));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(65535)]
    public void a_udp_length_outside_header_to_ip_payload_drops_with_BadTransportHeader(int length)
    {
        var packet = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 8);
        packet[24] = (byte)(length >> 8);
        packet[25] = (byte)length;
        Assert.Equal(DropReason.BadTransportHeader, Refused(packet));
    }

    [Fact]
    public void a_udp_length_shorter_than_the_ip_payload_is_accepted()
    {
        var packet = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 8);
        packet[25] = 10;
        Assert.Equal(5000, Parsed(packet).SourcePort);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", IpProtocol.Udp, 7)]
    [InlineData("10.137.0.5", "192.0.2.10", IpProtocol.Icmp, 7)]
    [InlineData("2001:db8::5", "2001:db8::10", IpProtocol.IcmpV6, 4)]
    [InlineData("2001:db8::5", "2001:db8::10", IpProtocol.Udp, 0)]
    public void a_transport_header_shorter_than_8_bytes_drops_with_BadTransportHeader(string source, string destination, byte protocol, int length)
    {
        Assert.Equal(DropReason.BadTransportHeader, Refused(Packets.Ip(source, destination, protocol, new byte[length])));
    }

    [Fact]
    public void an_ipv4_error_points_at_the_quoted_header_and_its_ports_read_back()
    {
        var probe = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, ttl: 1, identification: 99);
        var error = Packets.IcmpError("198.51.100.1", "10.137.0.5", IcmpV4Message.TimeExceeded, IcmpV4Message.TimeExceededInTransit, probe);

        var outer = Parsed(error);
        Assert.True(outer.IsIcmpError);
        Assert.Equal(IcmpV4Message.TimeExceeded, outer.IcmpType);
        Assert.Equal(28, outer.EmbeddedOffset);
        Assert.Equal(0, outer.SourcePort);
        Assert.Equal(0, outer.DestinationPort);

        Assert.True(PacketParser.TryParseEmbedded(error, outer, out var inner));
        Assert.Equal(4, inner.Version);
        Assert.Equal(NetAddress.Parse("10.137.0.5"), inner.Source);
        Assert.Equal(NetAddress.Parse("192.0.2.10"), inner.Destination);
        Assert.Equal(IpProtocol.Tcp, inner.Protocol);
        Assert.Equal(1, inner.HopLimit);
        Assert.Equal(20, inner.TransportOffset);
        Assert.Equal(probe.Length, inner.TotalLength);
        Assert.Equal(40000, inner.SourcePort);
        Assert.Equal(443, inner.DestinationPort);
        Assert.Equal((byte)TcpFlags.Syn, inner.TcpFlags);
        Assert.Equal(99u, inner.FragmentId);
        Assert.False(inner.IsIcmpError);
        Assert.Equal(probe, error[outer.EmbeddedOffset..(outer.EmbeddedOffset + inner.TotalLength)]);
    }

    [Fact]
    public void an_ipv6_error_points_at_the_quoted_header_past_its_extension_headers()
    {
        var probe = Packets.Udp("2001:db8::5", "2001:db8:1::10", 33434, 33435, payload: 30, ttl: 1, extensionHeaders: [0, 60]);
        var error = Packets.IcmpError("2001:db8:ffff::1", "2001:db8::5", IcmpV6Message.TimeExceeded, 0, probe);

        var outer = Parsed(error);
        Assert.True(outer.IsIcmpError);
        Assert.Equal(48, outer.EmbeddedOffset);

        Assert.True(PacketParser.TryParseEmbedded(error, outer, out var inner));
        Assert.Equal(6, inner.Version);
        Assert.Equal(NetAddress.Parse("2001:db8::5"), inner.Source);
        Assert.Equal(NetAddress.Parse("2001:db8:1::10"), inner.Destination);
        Assert.Equal(IpProtocol.Udp, inner.Protocol);
        Assert.Equal(56, inner.TransportOffset);
        Assert.Equal(33434, inner.SourcePort);
        Assert.Equal(33435, inner.DestinationPort);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 3, 28)]
    [InlineData("2001:db8::5", "2001:db8::10", "2001:db8::1", 1, 48)]
    public void a_quote_of_header_plus_eight_bytes_is_enough_for_ports_but_not_flags(string source, string destination, string reporter, byte type, int quoteLength)
    {
        var original = Packets.Tcp(source, destination, 40000, 443, TcpFlags.Syn, payload: 100);
        var error = Packets.IcmpError(reporter, source, type, 1, original, quoteLength: quoteLength);

        var outer = Parsed(error);
        Assert.True(PacketParser.TryParseEmbedded(error, outer, out var inner));
        Assert.Equal(40000, inner.SourcePort);
        Assert.Equal(443, inner.DestinationPort);
        Assert.Equal(0, inner.TcpFlags);
        Assert.Equal(quoteLength, inner.TotalLength);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 3, 27)]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 11, 0)]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 12, 19)]
    [InlineData("2001:db8::5", "2001:db8::10", "2001:db8::1", 1, 47)]
    [InlineData("2001:db8::5", "2001:db8::10", "2001:db8::1", 3, 40)]
    public void an_error_quoting_less_than_an_ip_header_and_eight_bytes_drops_with_BadTransportHeader(string source, string destination, string reporter, byte type, int quoteLength)
    {
        var original = Packets.Udp(source, destination, 5000, 53, payload: 100);
        Assert.Equal(DropReason.BadTransportHeader, Refused(Packets.IcmpError(reporter, source, type, 0, original, quoteLength: quoteLength)));
    }

    [Fact]
    public void an_error_whose_quoted_header_has_options_needs_them_plus_eight_bytes()
    {
        var original = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 100, ipv4Options: [0x94, 4, 0, 0]);
        Assert.Equal(DropReason.BadTransportHeader, Refused(Packets.IcmpError("198.51.100.1", "10.137.0.5", 3, 3, original, quoteLength: 28)));
        var enough = Packets.IcmpError("198.51.100.1", "10.137.0.5", 3, 3, original, quoteLength: 32);
        Assert.True(PacketParser.TryParseEmbedded(enough, Parsed(enough), out var inner));
        Assert.Equal(24, inner.TransportOffset);
        Assert.Equal(53, inner.DestinationPort);
    }

    [Theory]
    [InlineData("198.51.100.1", "10.137.0.5", 3, "2001:db8::5", "2001:db8::10")]
    [InlineData("2001:db8::1", "2001:db8::5", 1, "10.137.0.5", "192.0.2.10")]
    public void an_error_quoting_the_other_ip_version_drops_with_BadTransportHeader(string reporter, string destination, byte type, string quotedSource, string quotedDestination)
    {
        var original = Packets.Udp(quotedSource, quotedDestination, 5000, 53, payload: 40);
        Assert.Equal(DropReason.BadTransportHeader, Refused(Packets.IcmpError(reporter, destination, type, 0, original)));
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 3)]
    [InlineData("2001:db8::5", "2001:db8::10", "2001:db8::1", 1)]
    public void a_quoted_echo_gives_its_identifier_as_ports(string source, string destination, string reporter, byte type)
    {
        var echo = Packets.IcmpEcho(source, destination, id: 4242, sequence: 9);
        var error = Packets.IcmpError(reporter, source, type, 0, echo);
        Assert.True(PacketParser.TryParseEmbedded(error, Parsed(error), out var inner));
        Assert.Equal(4242, inner.SourcePort);
        Assert.Equal(4242, inner.DestinationPort);
        Assert.Equal(source.Contains(':') ? IcmpV6Message.EchoRequest : IcmpV4Message.EchoRequest, inner.IcmpType);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.1", 3)]
    [InlineData("2001:db8::5", "2001:db8::10", "2001:db8::1", 1)]
    public void a_quoted_icmp_error_is_refused(string source, string destination, string reporter, byte type)
    {
        var first = Packets.IcmpError(destination, source, type, 0, Packets.Udp(source, destination, 5000, 53, payload: 4));
        var error = Packets.IcmpError(reporter, destination, type, 0, first);
        Assert.False(PacketParser.TryParseEmbedded(error, Parsed(error), out _));
    }

    [Fact]
    public void only_an_icmp_error_has_an_embedded_packet()
    {
        var packet = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 60);
        Assert.False(PacketParser.TryParseEmbedded(packet, Parsed(packet), out var inner));
        Assert.Equal(default, inner);
    }

    [Fact]
    public void ipv4_fragments_carry_ports_only_in_the_first()
    {
        var whole = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 4789, payload: 3000);
        var fragments = Packets.Fragments(whole, 1480, identification: 0x7777);
        Assert.Equal(3, fragments.Length);

        var first = Parsed(fragments[0]);
        Assert.True(first.IsFragment);
        Assert.Equal(0, first.FragmentOffset);
        Assert.Equal(0x7777u, first.FragmentId);
        Assert.Equal(5000, first.SourcePort);
        Assert.Equal(4789, first.DestinationPort);
        Assert.True(first.HasPorts);

        var second = Parsed(fragments[1]);
        Assert.True(second.IsFragment);
        Assert.Equal(1480, second.FragmentOffset);
        Assert.Equal(IpProtocol.Udp, second.Protocol);
        Assert.Equal(20, second.TransportOffset);
        Assert.Equal(0, second.SourcePort);
        Assert.Equal(0, second.DestinationPort);
        Assert.False(second.HasPorts);

        var last = Parsed(fragments[2]);
        Assert.True(last.IsFragment);
        Assert.Equal(2960, last.FragmentOffset);
        Assert.Equal(0x7777u, last.FragmentId);
    }

    [Fact]
    public void ipv6_fragments_carry_ports_only_in_the_first()
    {
        var whole = Packets.Tcp("2001:db8::5", "2001:db8::10", 40000, 443, TcpFlags.Psh | TcpFlags.Ack, payload: 3000, extensionHeaders: [0]);
        var fragments = Packets.Fragments(whole, 1448, identification: 0xfeedf00d);

        var first = Parsed(fragments[0]);
        Assert.True(first.IsFragment);
        Assert.Equal(0, first.FragmentOffset);
        Assert.Equal(0xfeedf00du, first.FragmentId);
        Assert.Equal(IpProtocol.Tcp, first.Protocol);
        Assert.Equal(56, first.TransportOffset);
        Assert.Equal(40000, first.SourcePort);
        Assert.Equal(0x18, first.TcpFlags);

        var second = Parsed(fragments[1]);
        Assert.True(second.IsFragment);
        Assert.Equal(1448, second.FragmentOffset);
        Assert.Equal(IpProtocol.Tcp, second.Protocol);
        Assert.Equal(56, second.TransportOffset);
        Assert.Equal(0, second.SourcePort);
        Assert.Equal(0, second.TcpFlags);
    }

    [Fact]
    public void an_ipv6_atomic_fragment_is_a_whole_packet()
    {
        var info = Parsed(Packets.Udp("2001:db8::5", "2001:db8::10", 5000, 53, payload: 4, extensionHeaders: [44]));
        Assert.False(info.IsFragment);
        Assert.Equal(0x4321u, info.FragmentId);
        Assert.Equal(5000, info.SourcePort);
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10")]
    [InlineData("2001:db8::5", "2001:db8::10")]
    public void a_first_fragment_that_cuts_the_tcp_header_drops_with_BadFragment(string source, string destination)
    {
        var whole = Packets.Tcp(source, destination, 40000, 443, TcpFlags.Syn, payload: 100);
        Assert.Equal(DropReason.BadFragment, Refused(Packets.Fragment(whole, 0, 16)));
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10")]
    [InlineData("2001:db8::5", "2001:db8::10")]
    public void a_first_fragment_with_just_the_udp_header_is_enough_for_ports(string source, string destination)
    {
        var whole = Packets.Udp(source, destination, 5000, 53, payload: 100);
        var info = Parsed(Packets.Fragment(whole, 0, 8));
        Assert.Equal(5000, info.SourcePort);
        Assert.Equal(53, info.DestinationPort);
    }

    [Fact]
    public void a_tcp_fragment_at_offset_8_drops_with_BadFragment()
    {
        var whole = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Ack, payload: 100);
        Assert.Equal(DropReason.BadFragment, Refused(Packets.Fragment(whole, 8, 24)));
    }

    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10")]
    [InlineData("2001:db8::5", "2001:db8::10")]
    public void a_fragment_with_more_to_come_and_a_length_not_a_multiple_of_8_drops_with_BadFragment(string source, string destination)
    {
        var whole = Packets.Udp(source, destination, 5000, 53, payload: 100);
        Assert.Equal(DropReason.BadFragment, Refused(Packets.Fragment(whole, 16, 20)));
    }

    [Fact]
    public void an_ipv4_fragment_reaching_past_65535_bytes_drops_with_BadFragment()
    {
        var whole = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 100);
        var fragment = Packets.Fragment(whole, 64, 44);
        var ip = Ipv4Packet.Unchecked(fragment);
        ip.FragmentOffset = 65528;
        ip.FillHeaderChecksum();
        Assert.Equal(DropReason.BadFragment, Refused(fragment));
    }

    [Fact]
    public void an_ipv6_fragment_reaching_past_65535_bytes_drops_with_BadFragment()
    {
        var whole = Packets.Udp("2001:db8::5", "2001:db8::10", 5000, 53, payload: 100);
        var fragment = Packets.Fragment(whole, 64, 44);
        fragment[42] = 0xff;
        fragment[43] = 0xf8;
        Assert.Equal(DropReason.BadFragment, Refused(fragment));
    }

    [Fact]
    public void a_quoted_non_first_fragment_has_no_ports()
    {
        var whole = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 3000);
        var later = Packets.Fragments(whole, 1480)[1];
        var error = Packets.IcmpError("198.51.100.1", "10.137.0.5", IcmpV4Message.TimeExceeded, 1, later);
        Assert.True(PacketParser.TryParseEmbedded(error, Parsed(error), out var inner));
        Assert.True(inner.IsFragment);
        Assert.Equal(1480, inner.FragmentOffset);
        Assert.Equal(0, inner.SourcePort);
    }

    [Fact]
    public void the_parser_reads_a_read_only_buffer_without_writing_to_it()
    {
        var packet = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 20);
        var copy = packet.ToArray();
        ReadOnlySpan<byte> readOnly = packet;
        Assert.True(PacketParser.TryParse(readOnly, out _, out _));
        Assert.Equal(copy, packet);
    }
}
