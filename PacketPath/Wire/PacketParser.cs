using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// Reads one IP packet into a <see cref="PacketInfo"/>. Any byte input gives either true and a
/// <see cref="PacketInfo"/> whose offsets lie inside the packet, or false and the reason; it never
/// throws and never allocates.
/// </summary>
/// <remarks>
/// Checksums are not verified here: with TUN offloads the kernel hands over partial checksums
/// (CHECKSUM_PARTIAL), and every rewrite updates them incrementally, so a bad one stays bad for the
/// receiver to drop. The views offer VerifyChecksum for callers that want it.
/// </remarks>
public static class PacketParser
{
    /// <summary>The first 8 bytes of the transport header: all an ICMP error has to quote (RFC 792).</summary>
    private const int QuotedTransportLength = 8;

    /// <summary>On false, <paramref name="info"/> is default and <paramref name="reason"/> says why.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out PacketInfo info, out DropReason reason)
    {
        info = default;
        if (packet.IsEmpty)
        {
            reason = DropReason.Truncated;
            return false;
        }
        var buffer = AsReadable(packet);
        var parsed = (packet[0] >> 4) switch
        {
            4 => TryParseV4(buffer, ref info, out reason),
            6 => TryParseV6(buffer, ref info, out reason),
            _ => Fail(DropReason.BadIpVersion, out reason),
        };
        if (!parsed)
        {
            info = default;
        }
        return parsed;
    }

    /// <summary>
    /// Reads the packet quoted by an ICMP or ICMPv6 error that <see cref="TryParse"/> accepted. The
    /// quote is cut short by design, so only its IP header (with any IPv6 extension headers) and the
    /// first 8 transport bytes are required: enough for addresses, ports, ICMP query ids and, when
    /// quoted, TCP flags.
    /// </summary>
    /// <remarks>
    /// <paramref name="inner"/>'s offsets count from the quoted IP header, which starts at
    /// <c>outer.EmbeddedOffset</c> in <paramref name="packet"/>, and its
    /// <see cref="PacketInfo.TotalLength"/> is the length of the quote (its header's total length
    /// when that is shorter). A quoted ICMP error is refused: no error is ever sent about one
    /// (RFC 1122 §3.2.2, RFC 4443 §2.4 (e)).
    /// </remarks>
    public static bool TryParseEmbedded(ReadOnlySpan<byte> packet, in PacketInfo outer, out PacketInfo inner)
    {
        inner = default;
        if (!outer.IsIcmpError || outer.EmbeddedOffset <= 0 || outer.TotalLength > packet.Length || outer.EmbeddedOffset >= outer.TotalLength)
        {
            return false;
        }
        var quoted = AsReadable(packet[outer.EmbeddedOffset..outer.TotalLength]);
        var parsed = outer.Version == 4 ? TryParseQuotedV4(quoted, ref inner) : TryParseQuotedV6(quoted, ref inner);
        if (!parsed)
        {
            inner = default;
        }
        return parsed;
    }

    private static bool TryParseV4(Span<byte> buffer, ref PacketInfo info, out DropReason reason)
    {
        if (!Ipv4Packet.TryParse(buffer, out var ip, out reason))
        {
            return false;
        }
        if (!ip.VerifyHeaderChecksum())
        {
            // Its addresses, TTL and ports cannot be trusted; every sender's kernel fills the checksum in.
            reason = DropReason.BadIpChecksum;
            return false;
        }
        info.Version = 4;
        info.Source = ip.Source;
        info.Destination = ip.Destination;
        info.Protocol = ip.Protocol;
        info.HopLimit = ip.TimeToLive;
        info.TotalLength = ip.TotalLength;
        info.TransportOffset = ip.HeaderLength;
        info.DontFragment = ip.DontFragment;
        info.FragmentId = ip.Identification;
        var payload = ip.Payload;
        if (ip.IsFragment)
        {
            info.IsFragment = true;
            info.FragmentOffset = ip.FragmentOffset;
            info.FragmentDataOffset = ip.HeaderLength;
            info.MoreFragments = ip.MoreFragments;
            if (!FragmentIsPlausible(info.FragmentOffset, payload.Length, ip.MoreFragments, ip.HeaderLength))
            {
                return Fail(DropReason.BadFragment, out reason);
            }
            // RFC 1858 §3.2: a TCP fragment at offset 8 can rewrite the flags of the first one.
            if (info.FragmentOffset == 8 && info.Protocol == IpProtocol.Tcp)
            {
                return Fail(DropReason.BadFragment, out reason);
            }
            if (info.FragmentOffset != 0)
            {
                return true;
            }
        }
        return TryParseTransport(payload, isV6: false, ref info, out reason);
    }

    private static bool TryParseV6(Span<byte> buffer, ref PacketInfo info, out DropReason reason)
    {
        if (!Ipv6Packet.TryParse(buffer, out var ip, out reason))
        {
            return false;
        }
        info.Version = 6;
        info.Source = ip.Source;
        info.Destination = ip.Destination;
        info.HopLimit = ip.HopLimit;
        info.TotalLength = ip.TotalLength;
        if (!ip.TryWalkExtensionHeaders(out var chain, out reason))
        {
            return false;
        }
        info.Protocol = chain.Protocol;
        info.TransportOffset = chain.TransportOffset;
        if (chain.HasFragmentHeader)
        {
            info.FragmentId = chain.FragmentId;
        }
        if (chain.IsFragment)
        {
            info.IsFragment = true;
            info.FragmentOffset = chain.FragmentOffset;
            info.FragmentDataOffset = chain.FragmentDataOffset;
            info.MoreFragments = chain.MoreFragments;
            if (!FragmentIsPlausible(chain.FragmentOffset, info.TotalLength - chain.FragmentDataOffset, chain.MoreFragments, 0))
            {
                return Fail(DropReason.BadFragment, out reason);
            }
            if (chain.FragmentOffset != 0)
            {
                return true;
            }
        }
        return TryParseTransport(buffer[info.TransportOffset..info.TotalLength], isV6: true, ref info, out reason);
    }

    /// <summary>
    /// Every fragment but the last carries a multiple of 8 bytes (RFC 791 §3.2, RFC 8200 §4.5), and
    /// the reassembled packet must fit 65,535 bytes: the "ping of death" overlaps past it.
    /// </summary>
    private static bool FragmentIsPlausible(int offset, int dataLength, bool moreFragments, int headerLength) =>
        (!moreFragments || dataLength % 8 == 0) && headerLength + offset + dataLength <= ushort.MaxValue;

    /// <summary>
    /// Reads the transport header of a whole packet or a first fragment. A first fragment must hold
    /// the whole transport header (RFC 1858, RFC 7112), so a short one is a bad fragment.
    /// </summary>
    private static bool TryParseTransport(Span<byte> transport, bool isV6, ref PacketInfo info, out DropReason reason)
    {
        var failure = info.IsFragment ? DropReason.BadFragment : DropReason.BadTransportHeader;
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                if (!TcpSegment.TryParse(transport, out var tcp, out _))
                {
                    return Fail(failure, out reason);
                }
                info.SourcePort = tcp.SourcePort;
                info.DestinationPort = tcp.DestinationPort;
                info.TcpFlags = (byte)tcp.Flags;
                break;

            case IpProtocol.Udp:
                // A first fragment's UDP length counts the whole datagram, so only the header can be checked.
                if (info.IsFragment ? transport.Length < UdpDatagram.HeaderLength : !UdpDatagram.TryParse(transport, out _, out _))
                {
                    return Fail(failure, out reason);
                }
                var udp = UdpDatagram.Unchecked(transport);
                info.SourcePort = udp.SourcePort;
                info.DestinationPort = udp.DestinationPort;
                break;

            case IpProtocol.Icmp when !isV6:
                if (!IcmpV4Message.TryParse(transport, out var icmp, out _) ||
                    !ReadIcmp(ref info, icmp.Type, icmp.Code, icmp.IsQuery, icmp.IsError, icmp.Identifier, icmp.Body, isV6: false))
                {
                    return Fail(failure, out reason);
                }
                break;

            case IpProtocol.IcmpV6 when isV6:
                if (!IcmpV6Message.TryParse(transport, out var icmp6, out _) ||
                    !ReadIcmp(ref info, icmp6.Type, icmp6.Code, icmp6.IsQuery, icmp6.IsError, icmp6.Identifier, icmp6.Body, isV6: true))
                {
                    return Fail(failure, out reason);
                }
                break;
        }
        reason = DropReason.None;
        return true;
    }

    // ICMP and ICMPv6 share their layout for what the parser reads: type, code, query id, quoted packet at offset 8.
    private static bool ReadIcmp(ref PacketInfo info, byte type, byte code, bool isQuery, bool isError, ushort identifier,
        ReadOnlySpan<byte> body, bool isV6)
    {
        info.IcmpType = type;
        info.IcmpCode = code;
        if (isQuery)
        {
            info.SourcePort = info.DestinationPort = identifier;
        }
        else if (isError)
        {
            if (!QuoteIsLongEnough(body, isV6))
            {
                return false;
            }
            info.IsIcmpError = true;
            info.EmbeddedOffset = info.TransportOffset + IcmpV4Message.EmbeddedOffset;
        }
        return true;
    }

    /// <summary>An error must quote an IP header of its own version and the first 8 bytes after it.</summary>
    private static bool QuoteIsLongEnough(ReadOnlySpan<byte> quoted, bool isV6)
    {
        if (isV6)
        {
            return quoted.Length >= Ipv6Packet.HeaderLength + QuotedTransportLength && quoted[0] >> 4 == 6;
        }
        if (quoted.Length < Ipv4Packet.MinHeaderLength || quoted[0] >> 4 != 4)
        {
            return false;
        }
        var headerLength = (quoted[0] & 0x0F) * 4;
        return headerLength >= Ipv4Packet.MinHeaderLength && quoted.Length >= headerLength + QuotedTransportLength;
    }

    private static bool TryParseQuotedV4(Span<byte> quoted, ref PacketInfo inner)
    {
        if (quoted.Length < Ipv4Packet.MinHeaderLength || quoted[0] >> 4 != 4)
        {
            return false;
        }
        var ip = Ipv4Packet.Unchecked(quoted);
        var headerLength = ip.HeaderLength;
        if (headerLength < Ipv4Packet.MinHeaderLength || ip.TotalLength < headerLength || quoted.Length < headerLength)
        {
            return false;
        }
        inner.Version = 4;
        inner.Source = ip.Source;
        inner.Destination = ip.Destination;
        inner.Protocol = ip.Protocol;
        inner.HopLimit = ip.TimeToLive;
        inner.TotalLength = Math.Min(ip.TotalLength, quoted.Length);
        inner.TransportOffset = headerLength;
        inner.DontFragment = ip.DontFragment;
        inner.FragmentId = ip.Identification;
        inner.IsFragment = ip.IsFragment;
        inner.FragmentOffset = ip.FragmentOffset;
        return inner.FragmentOffset != 0 || TryParseQuotedTransport(quoted[headerLength..inner.TotalLength], isV6: false, ref inner);
    }

    private static bool TryParseQuotedV6(Span<byte> quoted, ref PacketInfo inner)
    {
        if (quoted.Length < Ipv6Packet.HeaderLength || quoted[0] >> 4 != 6)
        {
            return false;
        }
        // Unchecked: the quote is shorter than its payload length says; TotalLength caps it at the buffer.
        var ip = Ipv6Packet.Unchecked(quoted);
        inner.Version = 6;
        inner.Source = ip.Source;
        inner.Destination = ip.Destination;
        inner.HopLimit = ip.HopLimit;
        inner.TotalLength = ip.TotalLength;
        if (!ip.TryWalkExtensionHeaders(out var chain, out _))
        {
            return false;
        }
        inner.Protocol = chain.Protocol;
        inner.TransportOffset = chain.TransportOffset;
        inner.FragmentId = chain.FragmentId;
        inner.IsFragment = chain.IsFragment;
        inner.FragmentOffset = chain.FragmentOffset;
        return inner.FragmentOffset != 0 || TryParseQuotedTransport(quoted[inner.TransportOffset..inner.TotalLength], isV6: true, ref inner);
    }

    /// <summary>Ports, ICMP type, code and query id all lie in the first 8 bytes; TCP flags only when the quote reaches byte 13.</summary>
    private static bool TryParseQuotedTransport(Span<byte> transport, bool isV6, ref PacketInfo inner)
    {
        var icmp = inner.Protocol == (isV6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp);
        if (inner.Protocol is not (IpProtocol.Tcp or IpProtocol.Udp) && !icmp)
        {
            return true;
        }
        if (transport.Length < QuotedTransportLength)
        {
            return false;
        }
        if (icmp)
        {
            inner.IcmpType = transport[0];
            inner.IcmpCode = transport[1];
            if (isV6 ? IcmpV6Message.IsErrorType(inner.IcmpType) : IcmpV4Message.IsErrorType(inner.IcmpType))
            {
                return false;
            }
            if (isV6 ? IcmpV6Message.IsQueryType(inner.IcmpType) : IcmpV4Message.IsQueryType(inner.IcmpType))
            {
                inner.SourcePort = inner.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[4..]);
            }
            return true;
        }
        inner.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
        inner.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
        if (inner.Protocol == IpProtocol.Tcp && transport.Length > 13)
        {
            inner.TcpFlags = transport[13];
        }
        return true;
    }

    /// <summary>
    /// The views take <see cref="Span{T}"/> so one type serves parsing and rewriting; the parser only
    /// calls their getters, so it never writes through this span.
    /// </summary>
    internal static Span<byte> AsReadable(ReadOnlySpan<byte> packet) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(packet), packet.Length);

    private static bool Fail(DropReason why, out DropReason reason)
    {
        reason = why;
        return false;
    }
}
