using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests;

/// <summary>
/// Builds valid IPv4 and IPv6 packets for tests, checksums included. The address strings pick the
/// family. For example:
/// <code>
/// Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Syn, payload: 0)
/// Packets.Udp("2001:db8::5", "2001:db8::53", 5353, 53, payload: 30, extensionHeaders: [IpProtocol.HopByHop])
/// Packets.IcmpEcho("10.137.0.5", "192.0.2.10", id: 7, sequence: 1, request: true)
/// Packets.IcmpError("192.0.2.1", "10.137.0.5", IcmpV4Message.TimeExceeded, 0, quoted: probe)
/// Packets.Fragments(Packets.Udp(..., payload: 3000), 1480)
/// </code>
/// </summary>
public static class Packets
{
    public static byte[] Tcp(
        string source,
        string destination,
        ushort sourcePort,
        ushort destinationPort,
        TcpFlags flags = TcpFlags.Syn,
        int payload = 0,
        byte ttl = 64,
        bool dontFragment = false,
        uint sequence = 1000,
        uint acknowledgement = 0,
        ushort window = 65535,
        byte[]? tcpOptions = null,
        ushort identification = 0,
        byte[]? ipv4Options = null,
        byte[]? extensionHeaders = null)
    {
        var (src, dst) = (NetAddress.Parse(source), NetAddress.Parse(destination));
        var options = Pad4(tcpOptions, 1);
        var segment = new byte[TcpSegment.MinHeaderLength + options.Length + payload];
        var tcp = TcpSegment.Unchecked(segment);
        tcp.SourcePort = sourcePort;
        tcp.DestinationPort = destinationPort;
        tcp.SequenceNumber = sequence;
        tcp.AcknowledgementNumber = acknowledgement;
        tcp.HeaderLength = TcpSegment.MinHeaderLength + options.Length;
        tcp.Flags = flags;
        tcp.WindowSize = window;
        options.CopyTo(tcp.Options);
        Fill(tcp.Payload);
        tcp.FillChecksum(src, dst);
        return Ip(source, destination, IpProtocol.Tcp, segment, ttl, dontFragment, identification, ipv4Options, extensionHeaders);
    }

    public static byte[] Udp(
        string source,
        string destination,
        ushort sourcePort,
        ushort destinationPort,
        int payload = 0,
        byte ttl = 64,
        bool dontFragment = false,
        ushort identification = 0,
        byte[]? ipv4Options = null,
        byte[]? extensionHeaders = null)
    {
        var (src, dst) = (NetAddress.Parse(source), NetAddress.Parse(destination));
        var datagram = new byte[UdpDatagram.HeaderLength + payload];
        var udp = UdpDatagram.Unchecked(datagram);
        udp.SourcePort = sourcePort;
        udp.DestinationPort = destinationPort;
        udp.Length = checked((ushort)datagram.Length);
        Fill(udp.Payload);
        udp.FillChecksum(src, dst);
        return Ip(source, destination, IpProtocol.Udp, datagram, ttl, dontFragment, identification, ipv4Options, extensionHeaders);
    }

    /// <summary>An ICMP echo (types 8/0) or ICMPv6 echo (128/129) request or reply.</summary>
    public static byte[] IcmpEcho(
        string source,
        string destination,
        ushort id,
        ushort sequence,
        bool request = true,
        int payload = 0,
        byte ttl = 64,
        bool dontFragment = false,
        byte[]? extensionHeaders = null)
    {
        var v6 = NetAddress.Parse(source).IsV6;
        var type = (v6, request) switch
        {
            (false, true) => IcmpV4Message.EchoRequest,
            (false, false) => IcmpV4Message.EchoReply,
            (true, true) => IcmpV6Message.EchoRequest,
            (true, false) => IcmpV6Message.EchoReply,
        };
        var body = new byte[payload];
        Fill(body);
        return Icmp(source, destination, type, 0, body, (uint)(id << 16 | sequence), ttl, dontFragment, extensionHeaders);
    }

    /// <summary>
    /// An ICMP or ICMPv6 error from <paramref name="source"/> (the router or host reporting) to
    /// <paramref name="destination"/> (the original sender), quoting <paramref name="quoted"/> the way
    /// Linux does: as much as fits in 576 bytes (IPv4) or 1280 (IPv6), or the first
    /// <paramref name="quoteLength"/> bytes. <paramref name="restOfHeader"/> is bytes 4–7 (MTU, pointer, gateway).
    /// </summary>
    public static byte[] IcmpError(
        string source,
        string destination,
        byte type,
        byte code,
        byte[] quoted,
        int? quoteLength = null,
        uint restOfHeader = 0,
        byte ttl = 64)
    {
        var v6 = NetAddress.Parse(source).IsV6;
        var room = v6 ? 1280 - Ipv6Packet.HeaderLength - IcmpV6Message.HeaderLength : 576 - Ipv4Packet.MinHeaderLength - IcmpV4Message.HeaderLength;
        var length = quoteLength ?? Math.Min(quoted.Length, room);
        return Icmp(source, destination, type, code, quoted[..length], restOfHeader, ttl);
    }

    /// <summary>Any ICMP (IPv4 source) or ICMPv6 (IPv6 source) message: type, code, bytes 4–7, then <paramref name="body"/>.</summary>
    public static byte[] Icmp(
        string source,
        string destination,
        byte type,
        byte code,
        byte[]? body = null,
        uint restOfHeader = 0,
        byte ttl = 64,
        bool dontFragment = false,
        byte[]? extensionHeaders = null)
    {
        var (src, dst) = (NetAddress.Parse(source), NetAddress.Parse(destination));
        body ??= [];
        var message = new byte[IcmpV4Message.HeaderLength + body.Length];
        message[0] = type;
        message[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), restOfHeader);
        body.CopyTo(message, IcmpV4Message.HeaderLength);
        if (src.IsV6)
        {
            IcmpV6Message.Unchecked(message).FillChecksum(src, dst);
        }
        else
        {
            IcmpV4Message.Unchecked(message).FillChecksum();
        }
        return Ip(source, destination, src.IsV6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, message, ttl, dontFragment, 0, null, extensionHeaders);
    }

    /// <summary>
    /// Wraps <paramref name="payload"/> in an IPv4 header (with <paramref name="ipv4Options"/>, padded to
    /// 4 bytes) or an IPv6 header followed by minimal <paramref name="extensionHeaders"/>, listed by
    /// type: <see cref="IpProtocol.HopByHop"/>, <see cref="IpProtocol.Routing"/> (segments left 0),
    /// <see cref="IpProtocol.Fragment"/> (atomic), <see cref="IpProtocol.DestinationOptions"/>,
    /// <see cref="IpProtocol.Authentication"/>. The payload is copied as is: no transport checksum.
    /// </summary>
    public static byte[] Ip(
        string source,
        string destination,
        byte protocol,
        byte[] payload,
        byte ttl = 64,
        bool dontFragment = false,
        ushort identification = 0,
        byte[]? ipv4Options = null,
        byte[]? extensionHeaders = null)
    {
        var (src, dst) = (NetAddress.Parse(source), NetAddress.Parse(destination));
        if (src.IsV6 != dst.IsV6)
        {
            throw new ArgumentException($"{source} and {destination} are not of the same family.");
        }
        return src.IsV6
            ? V6(src, dst, protocol, payload, ttl, extensionHeaders ?? [])
            : V4(src, dst, protocol, payload, ttl, dontFragment, identification, Pad4(ipv4Options, 0));
    }

    /// <summary>
    /// One fragment of a whole packet: <paramref name="length"/> bytes of its fragmentable part from
    /// <paramref name="offset"/> (a multiple of 8), with MF/M set unless it reaches the end. An IPv6
    /// fragment header goes after any hop-by-hop and routing headers (RFC 8200 §4.5).
    /// </summary>
    public static byte[] Fragment(byte[] packet, int offset, int length, uint identification = 0x1234)
    {
        if (offset % 8 != 0)
        {
            throw new ArgumentException($"Fragment offset {offset} is not a multiple of 8.");
        }
        return packet[0] >> 4 == 4 ? FragmentV4(packet, offset, length, (ushort)identification) : FragmentV6(packet, offset, length, identification);
    }

    /// <summary>Splits a whole packet into fragments carrying at most <paramref name="dataPerFragment"/> bytes (a multiple of 8) each.</summary>
    public static byte[][] Fragments(byte[] packet, int dataPerFragment, uint identification = 0x1234)
    {
        var fragmentable = packet[0] >> 4 == 4 ? packet.Length - (packet[0] & 0x0F) * 4 : packet.Length - UnfragmentableLengthV6(packet).Length;
        var fragments = new List<byte[]>();
        for (var offset = 0; offset < fragmentable; offset += dataPerFragment)
        {
            fragments.Add(Fragment(packet, offset, Math.Min(dataPerFragment, fragmentable - offset), identification));
        }
        return [.. fragments];
    }

    /// <summary>
    /// Joins fragments, in any order, into the whole packet, as the receiving host would. IPv6
    /// fragments must have the fragment header right after the fixed header.
    /// </summary>
    public static byte[] Reassemble(IEnumerable<byte[]> fragments)
    {
        byte[]? first = null;
        var pieces = new List<(int Offset, byte[] Data)>();
        foreach (var fragment in fragments)
        {
            var v4 = fragment[0] >> 4 == 4;
            var header = v4 ? (fragment[0] & 0x0F) * 4 : Ipv6Packet.HeaderLength + Ipv6Packet.FragmentHeaderLength;
            var offset = v4 ? Ipv4Packet.Unchecked(fragment).FragmentOffset : BinaryPrimitives.ReadUInt16BigEndian(fragment.AsSpan(42)) & 0xFFF8;
            var length = v4 ? Ipv4Packet.Unchecked(fragment).TotalLength : fragment.Length;
            pieces.Add((offset, fragment[header..length]));
            if (offset == 0)
            {
                first = fragment;
            }
        }
        if (first is null)
        {
            throw new ArgumentException("No first fragment.");
        }
        var total = pieces.Max(p => p.Offset + p.Data.Length);
        var isV4 = first[0] >> 4 == 4;
        var unfragmentable = isV4 ? (first[0] & 0x0F) * 4 : Ipv6Packet.HeaderLength;
        var whole = new byte[unfragmentable + total];
        first.AsSpan(0, unfragmentable).CopyTo(whole);
        foreach (var (offset, data) in pieces)
        {
            data.CopyTo(whole, unfragmentable + offset);
        }
        if (isV4)
        {
            var ip = Ipv4Packet.Unchecked(whole);
            ip.TotalLength = (ushort)whole.Length;
            ip.MoreFragments = false;
            ip.FragmentOffset = 0;
            ip.FillHeaderChecksum();
        }
        else
        {
            whole[6] = first[Ipv6Packet.HeaderLength];
            Ipv6Packet.Unchecked(whole).PayloadLength = (ushort)total;
        }
        return whole;
    }

    /// <summary>Parses with <see cref="PacketParser"/> and fails the test when it refuses.</summary>
    public static PacketInfo Parse(byte[] packet)
    {
        if (!PacketParser.TryParse(packet, out var info, out var reason))
        {
            throw new InvalidOperationException($"The test packet did not parse: {reason}.");
        }
        return info;
    }

    private static byte[] V4(NetAddress source, NetAddress destination, byte protocol, byte[] payload, byte ttl, bool dontFragment, ushort identification, byte[] options)
    {
        var headerLength = Ipv4Packet.MinHeaderLength + options.Length;
        if (headerLength > Ipv4Packet.MaxHeaderLength)
        {
            throw new ArgumentException($"{options.Length} bytes of IPv4 options do not fit in 40.");
        }
        var bytes = new byte[headerLength + payload.Length];
        bytes[0] = (byte)(0x40 | headerLength / 4);
        var ip = Ipv4Packet.Unchecked(bytes);
        ip.TotalLength = checked((ushort)bytes.Length);
        ip.Identification = identification;
        ip.DontFragment = dontFragment;
        ip.TimeToLive = ttl;
        ip.Protocol = protocol;
        ip.Source = source;
        ip.Destination = destination;
        options.CopyTo(ip.Options);
        payload.CopyTo(bytes, headerLength);
        ip.FillHeaderChecksum();
        return bytes;
    }

    private static byte[] V6(NetAddress source, NetAddress destination, byte protocol, byte[] payload, byte hopLimit, byte[] extensionHeaders)
    {
        var chain = new List<byte>();
        for (var i = 0; i < extensionHeaders.Length; i++)
        {
            var next = i + 1 < extensionHeaders.Length ? extensionHeaders[i + 1] : protocol;
            chain.AddRange(ExtensionHeader(extensionHeaders[i], next));
        }
        var bytes = new byte[Ipv6Packet.HeaderLength + chain.Count + payload.Length];
        bytes[0] = 0x60;
        var ip = Ipv6Packet.Unchecked(bytes);
        ip.PayloadLength = checked((ushort)(bytes.Length - Ipv6Packet.HeaderLength));
        ip.NextHeader = extensionHeaders.Length > 0 ? extensionHeaders[0] : protocol;
        ip.HopLimit = hopLimit;
        ip.Source = source;
        ip.Destination = destination;
        chain.CopyTo(bytes, Ipv6Packet.HeaderLength);
        payload.CopyTo(bytes, Ipv6Packet.HeaderLength + chain.Count);
        return bytes;
    }

    private static byte[] ExtensionHeader(byte type, byte next) => type switch
    {
        // Options headers: one PadN option filling the 6 bytes left (RFC 8200 §4.2).
        IpProtocol.HopByHop or IpProtocol.DestinationOptions => [next, 0, 1, 4, 0, 0, 0, 0],
        // Routing type 253 (experimental, RFC 4727) with no segments left: nothing for a node to do.
        IpProtocol.Routing => [next, 0, 253, 0, 0, 0, 0, 0],
        // An atomic fragment (RFC 6946).
        IpProtocol.Fragment => [next, 0, 0, 0, 0, 0, 0x43, 0x21],
        // AH with a 96-bit ICV: 24 bytes, length field 24 / 4 - 2 = 4 (RFC 4302 §2.2).
        IpProtocol.Authentication => [next, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, .. new byte[12]],
        _ => throw new ArgumentException($"No minimal form for extension header {type}."),
    };

    private static byte[] FragmentV4(byte[] packet, int offset, int length, ushort identification)
    {
        var whole = Ipv4Packet.Unchecked(packet);
        var headerLength = whole.HeaderLength;
        var data = packet.AsSpan(headerLength, whole.TotalLength - headerLength);
        var bytes = new byte[headerLength + length];
        packet.AsSpan(0, headerLength).CopyTo(bytes);
        data.Slice(offset, length).CopyTo(bytes.AsSpan(headerLength));
        var ip = Ipv4Packet.Unchecked(bytes);
        ip.TotalLength = (ushort)bytes.Length;
        ip.Identification = identification;
        ip.MoreFragments = whole.MoreFragments || offset + length < data.Length;
        ip.FragmentOffset = whole.FragmentOffset + offset;
        ip.FillHeaderChecksum();
        return bytes;
    }

    private static byte[] FragmentV6(byte[] packet, int offset, int length, uint identification)
    {
        var (unfragmentable, nextHeaderAt) = UnfragmentableLengthV6(packet);
        var data = packet.AsSpan(unfragmentable);
        var bytes = new byte[unfragmentable + Ipv6Packet.FragmentHeaderLength + length];
        packet.AsSpan(0, unfragmentable).CopyTo(bytes);
        var header = bytes.AsSpan(unfragmentable, Ipv6Packet.FragmentHeaderLength);
        header[0] = packet[nextHeaderAt];
        bytes[nextHeaderAt] = IpProtocol.Fragment;
        var more = offset + length < data.Length;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(offset | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], identification);
        data.Slice(offset, length).CopyTo(bytes.AsSpan(unfragmentable + Ipv6Packet.FragmentHeaderLength));
        Ipv6Packet.Unchecked(bytes).PayloadLength = (ushort)(bytes.Length - Ipv6Packet.HeaderLength);
        return bytes;
    }

    /// <summary>The IPv6 header plus any hop-by-hop and routing headers, and where the next-header byte to patch sits.</summary>
    private static (int Length, int NextHeaderAt) UnfragmentableLengthV6(byte[] packet)
    {
        var nextHeaderAt = 6;
        var offset = Ipv6Packet.HeaderLength;
        while (packet[nextHeaderAt] is IpProtocol.HopByHop or IpProtocol.Routing)
        {
            nextHeaderAt = offset;
            offset += (packet[offset + 1] + 1) * 8;
        }
        if (packet[nextHeaderAt] == IpProtocol.Fragment)
        {
            throw new ArgumentException("The packet is already a fragment.");
        }
        return (offset, nextHeaderAt);
    }

    private static byte[] Pad4(byte[]? options, byte pad)
    {
        if (options is null || options.Length == 0)
        {
            return [];
        }
        var padded = new byte[(options.Length + 3) / 4 * 4];
        Array.Fill(padded, pad);
        options.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>A non-zero pattern, so checksums depend on the data.</summary>
    private static void Fill(Span<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + 1);
        }
    }
}
