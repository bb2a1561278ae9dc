using CsCheck;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class PacketParserFuzzTests
{
    private static readonly Gen<string> V4Address = Gen.UInt.Select(bits => NetAddress.V4(bits).ToString());
    private static readonly Gen<string> V6Address = Gen.UInt128.Select(bits => new NetAddress(bits, true).ToString());
    private static readonly Gen<byte[]> Options = Gen.OneOf<byte[]>([], [1, 1, 1, 1], [0x94, 4, 0, 0], [0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

    private static Gen<byte[]> Extensions(bool atomicFragment) =>
        Gen.OneOf<byte>(atomicFragment ? [0, 43, 44, 51, 60] : [0, 43, 51, 60]).Array[0, 4]
            .Select(chain => chain.Where((type, i) => type != 0 || i == 0).Distinct().ToArray());

    private static Gen<byte[]> Whole(bool atomicFragment) => Gen.OneOf(
        Gen.Select(V4Address, V4Address, Gen.UShort, Gen.UShort, Gen.Int[0, 200], Options, Gen.Byte)
            .Select((s, d, sp, dp, n, o, f) => Packets.Tcp(s, d, sp, dp, (TcpFlags)f, payload: n, ipv4Options: o)),
        Gen.Select(V6Address, V6Address, Gen.UShort, Gen.UShort, Gen.Int[0, 200], Extensions(atomicFragment), Gen.Byte)
            .Select((s, d, sp, dp, n, e, f) => Packets.Tcp(s, d, sp, dp, (TcpFlags)f, payload: n, extensionHeaders: e)),
        Gen.Select(V4Address, V4Address, Gen.UShort, Gen.UShort, Gen.Int[0, 200], Options)
            .Select((s, d, sp, dp, n, o) => Packets.Udp(s, d, sp, dp, payload: n, ipv4Options: o)),
        Gen.Select(V6Address, V6Address, Gen.UShort, Gen.UShort, Gen.Int[0, 200], Extensions(atomicFragment))
            .Select((s, d, sp, dp, n, e) => Packets.Udp(s, d, sp, dp, payload: n, extensionHeaders: e)),
        Gen.Select(V4Address, V4Address, Gen.UShort, Gen.Bool, Gen.Int[0, 100]).Select((s, d, id, request, n) => Packets.IcmpEcho(s, d, id, 1, request, payload: n)),
        Gen.Select(V6Address, V6Address, Gen.UShort, Gen.Bool, Gen.Int[0, 100]).Select((s, d, id, request, n) => Packets.IcmpEcho(s, d, id, 1, request, payload: n)));

    /// <summary>One fragment of a packet cut into pieces of 72 to 96 bytes: enough for any header chain built here.</summary>
    private static readonly Gen<byte[]> Fragment =
        from packet in Whole(atomicFragment: false)
        from eighths in Gen.Int[9, 12]
        let fragments = Packets.Fragments(packet, eighths * 8)
        from index in Gen.Int[0, fragments.Length - 1]
        select fragments[index];

    private static readonly Gen<byte[]> Valid = Gen.OneOf(
        Whole(atomicFragment: true),
        Fragment,
        Gen.Select(V4Address, V4Address, Whole(atomicFragment: true).Where(p => p[0] >> 4 == 4), Gen.OneOf<byte>(3, 4, 5, 11, 12))
            .Select((s, d, quoted, type) => Packets.IcmpError(s, d, type, 0, quoted)),
        Gen.Select(V6Address, V6Address, Gen.OneOf(Whole(atomicFragment: true), Fragment).Where(p => p[0] >> 4 == 6), Gen.Byte[1, 4])
            .Select((s, d, quoted, type) => Packets.IcmpError(s, d, type, 0, quoted)));

    /// <summary>A valid packet with a few bytes overwritten, then cut or padded.</summary>
    private static readonly Gen<byte[]> Mutated =
        from packet in Valid
        from writes in Gen.Select(Gen.Int[0, packet.Length - 1], Gen.Byte).Array[1, 6]
        from length in Gen.Int[0, packet.Length + 16]
        from resize in Gen.Bool
        select Mutate(packet, writes, resize ? length : packet.Length);

    private static byte[] Mutate(byte[] packet, (int At, byte Value)[] writes, int length)
    {
        var bytes = new byte[length];
        packet.AsSpan(0, Math.Min(length, packet.Length)).CopyTo(bytes);
        foreach (var (at, value) in writes)
        {
            if (at < length)
            {
                bytes[at] = value;
            }
        }
        return bytes;
    }

    /// <summary>Random bytes whose first nibble names IPv4 or IPv6, so the parser gets past the version.</summary>
    private static readonly Gen<byte[]> RandomIp =
        from bytes in Gen.Byte.Array[1, 120]
        from version in Gen.OneOf<byte>(0x40, 0x60)
        select Versioned(bytes, version);

    private static byte[] Versioned(byte[] bytes, byte version)
    {
        bytes[0] = (byte)(version | (bytes[0] & 0x0F));
        if (version == 0x40 && bytes.Length >= 4)
        {
            bytes[2] = (byte)(bytes.Length >> 8);
            bytes[3] = (byte)bytes.Length;
        }
        if (version == 0x60 && bytes.Length >= 6)
        {
            bytes[4] = (byte)((bytes.Length - 40) >> 8);
            bytes[5] = (byte)(bytes.Length - 40);
        }
        return bytes;
    }

    [Fact]
    public void every_valid_packet_parses_with_offsets_inside_it()
    {
        Valid.Sample(packet =>
        {
            Assert.True(PacketParser.TryParse(packet, out var info, out var reason), reason.ToString());
            AssertInside(packet, info);
        }, iter: 2_000);
    }

    [Fact]
    public void random_bytes_never_throw_and_accepted_ones_have_offsets_inside_them()
    {
        Gen.Byte.Array[0, 200].Sample(CheckAnyInput, iter: 20_000);
    }

    [Fact]
    public void random_bytes_behind_an_ip_version_never_throw_and_accepted_ones_have_offsets_inside_them()
    {
        RandomIp.Sample(CheckAnyInput, iter: 20_000);
    }

    [Fact]
    public void mutated_valid_packets_never_throw_and_accepted_ones_have_offsets_inside_them()
    {
        Mutated.Sample(CheckAnyInput, iter: 20_000);
    }

    [Fact]
    public void the_views_never_throw_on_random_bytes()
    {
        Gen.Byte.Array[0, 80].Sample(bytes =>
        {
            if (Ipv4Packet.TryParse(bytes, out var v4, out _))
            {
                Assert.InRange(v4.Payload.Length + v4.Options.Length + 20, 20, bytes.Length);
                _ = v4.VerifyHeaderChecksum();
            }
            if (Ipv6Packet.TryParse(bytes, out var v6, out _) && v6.TryWalkExtensionHeaders(out var chain, out _))
            {
                Assert.InRange(chain.TransportOffset, 40, v6.TotalLength);
            }
            if (TcpSegment.TryParse(bytes, out var tcp, out _))
            {
                Assert.Equal(bytes.Length, tcp.HeaderLength + tcp.Payload.Length);
                _ = tcp.Options.Length;
            }
            if (UdpDatagram.TryParse(bytes, out var udp, out _))
            {
                Assert.InRange(udp.Payload.Length, 0, bytes.Length - 8);
            }
            if (IcmpV4Message.TryParse(bytes, out var icmp, out _))
            {
                _ = icmp.Body.Length + icmp.Identifier + icmp.NextHopMtu;
            }
            if (IcmpV6Message.TryParse(bytes, out var icmp6, out _))
            {
                _ = icmp6.Body.Length + icmp6.Mtu;
            }
        }, iter: 20_000);
    }

    private static void CheckAnyInput(byte[] packet)
    {
        var accepted = PacketParser.TryParse(packet, out var info, out var reason);
        Assert.Equal(accepted, reason == DropReason.None);
        if (accepted)
        {
            AssertInside(packet, info);
        }
        else
        {
            Assert.Equal(default, info);
        }
    }

    private static void AssertInside(byte[] packet, PacketInfo info)
    {
        Assert.True(info.Version is 4 or 6);
        var header = info.Version == 4 ? Ipv4Packet.MinHeaderLength : Ipv6Packet.HeaderLength;
        Assert.InRange(info.TotalLength, header, packet.Length);
        Assert.InRange(info.TransportOffset, header, info.TotalLength);
        var hasTransportHeader = !info.IsFragment || info.FragmentOffset == 0;
        if (hasTransportHeader && (info.HasPorts || info.Protocol == (info.Version == 4 ? IpProtocol.Icmp : IpProtocol.IcmpV6)))
        {
            Assert.InRange(info.TransportOffset + 8, header, info.TotalLength);
        }
        if (!hasTransportHeader)
        {
            Assert.Equal(0, info.SourcePort | info.DestinationPort | info.TcpFlags | info.IcmpType);
        }
        if (!info.IsIcmpError)
        {
            Assert.Equal(0, info.EmbeddedOffset);
            Assert.False(PacketParser.TryParseEmbedded(packet, info, out _));
            return;
        }
        Assert.Equal(info.TransportOffset + 8, info.EmbeddedOffset);
        Assert.InRange(info.EmbeddedOffset + header + 8, 0, info.TotalLength);
        if (PacketParser.TryParseEmbedded(packet, info, out var inner))
        {
            var quote = info.TotalLength - info.EmbeddedOffset;
            Assert.Equal(info.Version, inner.Version);
            Assert.InRange(inner.TotalLength, header, quote);
            Assert.InRange(inner.TransportOffset, header, inner.TotalLength);
            if (!inner.IsFragment || inner.FragmentOffset == 0)
            {
                if (inner.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
                {
                    Assert.InRange(inner.TransportOffset + 8, header, inner.TotalLength);
                }
            }
        }
    }
}
