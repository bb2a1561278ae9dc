using CsCheck;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class ChecksumTests
{
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with end-around carry).
    private static readonly byte[] Rfc1071Example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];

    // A well-known IPv4 header (UDP, 192.168.0.1 → 192.168.0.199) whose checksum is b861.
    private static readonly byte[] HeaderWithB861 =
    [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
        0xc0, 0xa8, 0x00, 0xc7,
    ];

    [Fact]
    public void rfc_1071_example_sums_to_ddf2_and_checksums_to_220d()
    {
        Assert.Equal(0x220d, Checksum.Compute(Rfc1071Example));
        Assert.Equal(0xddf2, ~Checksum.Finish(Checksum.Add(0, Rfc1071Example)) & 0xFFFF);
    }

    [Fact]
    public void an_odd_trailing_byte_is_padded_with_zero_on_the_right()
    {
        Assert.Equal(Checksum.Compute([0x12, 0x34, 0x56, 0x00]), Checksum.Compute([0x12, 0x34, 0x56]));
    }

    [Fact]
    public void a_header_with_its_checksum_sums_to_zero()
    {
        Assert.Equal(0, Checksum.Compute(HeaderWithB861));
        Assert.Equal(0xb861, Checksum.Finish(Checksum.AddSkippingField(0, HeaderWithB861, 10)));
    }

    [Fact]
    public void rfc_1624_example_gives_0000_where_eqn_2_gave_ffff()
    {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 → m' = 0x3285.
        Assert.Equal(0x0000, Checksum.Update(0xDD2F, 0x5555, 0x3285));
    }

    [Fact]
    public void pseudo_header_counts_addresses_protocol_and_length()
    {
        var source = NetAddress.Parse("192.168.1.1");
        var destination = NetAddress.Parse("192.168.1.2");
        byte[] explicitly = [192, 168, 1, 1, 192, 168, 1, 2, 0, 6, 0, 28];
        Assert.Equal(Checksum.Finish(Checksum.Add(0, explicitly)), Checksum.Finish(Checksum.PseudoHeader(source, destination, 6, 28)));
    }

    [Fact]
    public void incremental_update_of_any_ipv4_header_word_equals_a_full_recompute()
    {
        Gen.Select(Gen.Byte.Array[20], Gen.Int[1, 9], Gen.UShort).Sample((header, word, value) =>
        {
            header[0] = 0x45;
            var ip = Ipv4Packet.Unchecked(header);
            ip.FillHeaderChecksum();
            if (word == 5)
            {
                return; // the checksum itself
            }
            var old = (ushort)(header[2 * word] << 8 | header[2 * word + 1]);
            header[2 * word] = (byte)(value >> 8);
            header[2 * word + 1] = (byte)value;
            var incremental = Checksum.Update(ip.HeaderChecksum, old, value);
            Assert.Equal(ip.ComputeHeaderChecksum(), incremental);
        });
    }

    [Fact]
    public void incremental_update_for_a_new_ipv4_source_equals_a_full_recompute_of_ip_and_tcp()
    {
        Gen.Select(Gen.UInt, Gen.UInt, Gen.UInt, Gen.UShort, Gen.UShort, Gen.Int[0, 40]).Sample((from, to, newFrom, sourcePort, destinationPort, payload) =>
        {
            var (oldSource, destination, newSource) = (NetAddress.V4(from), NetAddress.V4(to), NetAddress.V4(newFrom));
            var packet = Packets.Tcp(oldSource.ToString(), destination.ToString(), sourcePort, destinationPort, TcpFlags.Ack, payload);
            Ipv4Packet.TryParse(packet, out var ip, out _);
            TcpSegment.TryParse(ip.Payload, out var tcp, out _);

            ip.Source = newSource;
            ip.HeaderChecksum = Checksum.Update(ip.HeaderChecksum, oldSource, newSource);
            tcp.Checksum = Checksum.Update(tcp.Checksum, oldSource, newSource);

            Assert.Equal(ip.ComputeHeaderChecksum(), ip.HeaderChecksum);
            Assert.Equal(tcp.ComputeChecksum(newSource, destination), tcp.Checksum);
            Assert.True(ip.VerifyHeaderChecksum());
            Assert.True(tcp.VerifyChecksum(newSource, destination));
        });
    }

    [Fact]
    public void incremental_update_for_a_new_ipv6_destination_equals_a_full_recompute_of_tcp()
    {
        Gen.Select(Gen.UInt128, Gen.UInt128, Gen.UInt128, Gen.UShort, Gen.Int[0, 40]).Sample((from, to, newTo, port, payload) =>
        {
            var (source, oldDestination, newDestination) = (new NetAddress(from, true), new NetAddress(to, true), new NetAddress(newTo, true));
            var packet = Packets.Tcp(source.ToString(), oldDestination.ToString(), port, 443, TcpFlags.Syn, payload);
            Ipv6Packet.TryParse(packet, out var ip, out _);
            TcpSegment.TryParse(ip.Payload, out var tcp, out _);

            ip.Destination = newDestination;
            tcp.Checksum = Checksum.Update(tcp.Checksum, oldDestination, newDestination);

            Assert.Equal(tcp.ComputeChecksum(source, newDestination), tcp.Checksum);
        });
    }

    [Fact]
    public void incremental_update_for_a_new_udp_port_and_address_keeps_the_checksum_valid()
    {
        Gen.Select(Gen.UInt, Gen.UInt, Gen.UShort, Gen.UShort, Gen.Int[0, 40]).Sample((from, newFrom, oldPort, newPort, payload) =>
        {
            var (oldSource, newSource, destination) = (NetAddress.V4(from), NetAddress.V4(newFrom), NetAddress.Parse("192.0.2.10"));
            var packet = Packets.Udp(oldSource.ToString(), destination.ToString(), oldPort, 53, payload);
            Ipv4Packet.TryParse(packet, out var ip, out _);
            UdpDatagram.TryParse(ip.Payload, out var udp, out _);

            udp.SourcePort = newPort;
            ip.Source = newSource;
            var checksum = Checksum.Update(udp.Checksum, oldPort, newPort);
            udp.Checksum = Checksum.Update(checksum, oldSource, newSource);

            Assert.True(udp.VerifyChecksum(newSource, destination));
            // RFC 768 sends a computed 0 as ffff; the two are the same one's-complement number.
            Assert.Equal(udp.ComputeChecksum(newSource, destination) % 0xFFFF, udp.Checksum % 0xFFFF);
        });
    }

    [Fact]
    public void incremental_update_for_a_new_tcp_port_equals_a_full_recompute()
    {
        Gen.Select(Gen.UShort, Gen.UShort, Gen.Int[0, 40]).Sample((oldPort, newPort, payload) =>
        {
            var packet = Packets.Tcp("2001:db8::5", "2001:db8::10", oldPort, 80, TcpFlags.Ack, payload);
            Ipv6Packet.TryParse(packet, out var ip, out _);
            TcpSegment.TryParse(ip.Payload, out var tcp, out _);

            tcp.SourcePort = newPort;
            tcp.Checksum = Checksum.Update(tcp.Checksum, oldPort, newPort);

            Assert.Equal(tcp.ComputeChecksum(ip.Source, ip.Destination), tcp.Checksum);
        });
    }
}
