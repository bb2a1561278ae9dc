using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Nat;

/// <summary>
/// Byte fixtures for the NAT tests, built here rather than with the shared Packets builder so these
/// tests pin exact bytes and checksums on their own; <see cref="Info"/> fills the offsets the
/// rewriter needs the way the parser documents them.
/// </summary>
internal static class NatPackets
{
    public static readonly NetAddress Client4 = NetAddress.Parse("10.137.0.5");
    public static readonly NetAddress Uplink4 = NetAddress.Parse("192.0.2.1");
    public static readonly NetAddress Remote4 = NetAddress.Parse("198.51.100.7");
    public static readonly NetAddress Router4 = NetAddress.Parse("203.0.113.9");
    public static readonly NetAddress Client6 = NetAddress.Parse("fd00:137::5");
    public static readonly NetAddress Uplink6 = NetAddress.Parse("2001:db8::1");
    public static readonly NetAddress Remote6 = NetAddress.Parse("2001:db8:1::7");
    public static readonly NetAddress Router6 = NetAddress.Parse("2001:db8:2::9");

    public static byte[] Payload(int length, byte seed = 0x41)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(seed + i * 7);
        }
        return bytes;
    }

    public static byte[] Tcp(NetAddress source, NetAddress destination, ushort sourcePort, ushort destinationPort,
        byte flags = 0x02, byte[]? payload = null)
    {
        payload ??= [];
        var segment = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), 0x01020304);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), (flags & 0x10) != 0 ? 0x0A0B0C0Du : 0);
        segment[12] = 5 << 4;
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 64240);
        payload.CopyTo(segment, 20);
        return Ip(source, destination, 6, segment);
    }

    public static byte[] Udp(NetAddress source, NetAddress destination, ushort sourcePort, ushort destinationPort,
        byte[]? payload = null, bool withoutChecksum = false)
    {
        payload ??= [];
        var datagram = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
        payload.CopyTo(datagram, 8);
        var packet = Ip(source, destination, 17, datagram);
        if (withoutChecksum)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(HeaderLength(packet) + 6), 0);
        }
        return packet;
    }

    public static byte[] Echo(NetAddress source, NetAddress destination, ushort id, ushort sequence, bool request = true,
        byte[]? payload = null)
    {
        payload ??= [];
        var message = new byte[8 + payload.Length];
        message[0] = source.IsV6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), sequence);
        payload.CopyTo(message, 8);
        return Ip(source, destination, source.IsV6 ? (byte)58 : (byte)1, message);
    }

    /// <summary>An ICMP error quoting <paramref name="quote"/>; <paramref name="word"/> fills bytes 4-7 (unused, or the MTU).</summary>
    public static byte[] IcmpError(NetAddress source, NetAddress destination, byte type, byte code, ReadOnlySpan<byte> quote,
        uint word = 0)
    {
        var message = new byte[8 + quote.Length];
        message[0] = type;
        message[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), word);
        quote.CopyTo(message.AsSpan(8));
        return Ip(source, destination, source.IsV6 ? (byte)58 : (byte)1, message);
    }

    /// <summary>Wraps a transport segment in an IP header and fills every checksum.</summary>
    public static byte[] Ip(NetAddress source, NetAddress destination, byte protocol, ReadOnlySpan<byte> segment)
    {
        var header = source.IsV6 ? 40 : 20;
        var packet = new byte[header + segment.Length];
        if (source.IsV6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)segment.Length);
            packet[6] = protocol;
            packet[7] = 64;
            source.WriteTo(packet.AsSpan(8));
            destination.WriteTo(packet.AsSpan(24));
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1c46);
            packet[6] = 0x40;
            packet[8] = 64;
            packet[9] = protocol;
            source.WriteTo(packet.AsSpan(12));
            destination.WriteTo(packet.AsSpan(16));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        }
        segment.CopyTo(packet.AsSpan(header));
        var at = ChecksumOffset(protocol);
        var transport = packet.AsSpan(header);
        var sum = protocol == 1 ? 0 : Checksum.PseudoHeader(source, destination, protocol, segment.Length);
        var checksum = Checksum.Finish(Checksum.Add(sum, transport));
        BinaryPrimitives.WriteUInt16BigEndian(transport[at..], protocol == 17 && checksum == 0 ? (ushort)0xFFFF : checksum);
        return packet;
    }

    /// <summary>What the parser reports for these fixtures: no options, no extension headers.</summary>
    public static PacketInfo Info(byte[] packet)
    {
        var v6 = packet[0] >> 4 == 6;
        var info = new PacketInfo
        {
            Version = v6 ? (byte)6 : (byte)4,
            Source = v6 ? NetAddress.FromV6Bytes(packet.AsSpan(8, 16)) : NetAddress.FromV4Bytes(packet.AsSpan(12, 4)),
            Destination = v6 ? NetAddress.FromV6Bytes(packet.AsSpan(24, 16)) : NetAddress.FromV4Bytes(packet.AsSpan(16, 4)),
            Protocol = v6 ? packet[6] : packet[9],
            HopLimit = v6 ? packet[7] : packet[8],
            TotalLength = packet.Length,
            TransportOffset = HeaderLength(packet),
        };
        var t = info.TransportOffset;
        switch (info.Protocol)
        {
            case 6 or 17:
                info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(t));
                info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(t + 2));
                info.TcpFlags = info.Protocol == 6 ? packet[t + 13] : (byte)0;
                break;
            case 1 or 58:
                info.IcmpType = packet[t];
                info.IcmpCode = packet[t + 1];
                info.IsIcmpError = info.Protocol == 1 ? info.IcmpType is 3 or 4 or 5 or 11 or 12 : info.IcmpType < 128;
                if (info.IsIcmpError)
                {
                    info.EmbeddedOffset = t + 8;
                }
                else
                {
                    info.SourcePort = info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(t + 4));
                }
                break;
        }
        return info;
    }

    public static int HeaderLength(ReadOnlySpan<byte> packet) => packet[0] >> 4 == 6 ? 40 : (packet[0] & 0x0F) * 4;

    public static NetAddress Source(ReadOnlySpan<byte> packet) => packet[0] >> 4 == 6
        ? NetAddress.FromV6Bytes(packet.Slice(8, 16))
        : NetAddress.FromV4Bytes(packet.Slice(12, 4));

    public static NetAddress Destination(ReadOnlySpan<byte> packet) => packet[0] >> 4 == 6
        ? NetAddress.FromV6Bytes(packet.Slice(24, 16))
        : NetAddress.FromV4Bytes(packet.Slice(16, 4));

    public static ushort Word(ReadOnlySpan<byte> packet, int at) => BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);

    /// <summary>The IPv4 header checksum verifies (always true for IPv6, which has none).</summary>
    public static bool HeaderChecksumVerifies(ReadOnlySpan<byte> packet) =>
        packet[0] >> 4 == 6 || Checksum.Compute(packet[..HeaderLength(packet)]) == 0;

    /// <summary>
    /// The transport checksum verifies by full recomputation over <paramref name="packet"/> (which
    /// must hold the whole segment); a zero UDP checksum over IPv4 means none and passes.
    /// </summary>
    public static bool TransportChecksumVerifies(ReadOnlySpan<byte> packet)
    {
        var v6 = packet[0] >> 4 == 6;
        var protocol = v6 ? packet[6] : packet[9];
        var header = HeaderLength(packet);
        var length = v6 ? Word(packet, 4) : Word(packet, 2) - header;
        var segment = packet.Slice(header, length);
        if (protocol == 17 && !v6 && Word(segment, 6) == 0)
        {
            return true;
        }
        var sum = protocol == 1 ? 0 : Checksum.PseudoHeader(Source(packet), Destination(packet), protocol, length);
        return Checksum.Finish(Checksum.Add(sum, segment)) == 0;
    }

    private static int ChecksumOffset(byte protocol) => protocol switch
    {
        6 => 16,
        17 or IpProtocol.Dccp or IpProtocol.UdpLite => 6,
        _ => 2,
    };
}
