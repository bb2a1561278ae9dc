using System.Buffers.Binary;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Nat;

/// <summary>
/// Rewrites addresses and ports in place and fixes every checksum they feed incrementally
/// (RFC 1624), so a 64 KiB segmentation-offload packet costs the same as a small one. No method
/// allocates or throws for a packet: each returns false, before writing anything, when the packet
/// is too short for the fields it would change.
/// </summary>
/// <remarks>
/// Checksums touched: the IPv4 header checksum; TCP, UDP, DCCP, UDP-Lite and ICMPv6, whose
/// checksums cover a pseudo header with both addresses (RFC 793 §3.1, RFC 768, RFC 4340, RFC 3828,
/// RFC 8200 §8.1); ICMPv4, whose
/// checksum covers no pseudo header but does cover the query identifier (RFC 792). A zero UDP
/// checksum means "none" and stays zero: over IPv4 (RFC 768) and over IPv6, where tunnels may send
/// it (RFC 6935, 6936), as Linux's NAT leaves it; a computed zero is sent as 0xFFFF.
/// Non-first fragments carry no transport header, so only their IP header changes. A packet with a
/// <see cref="PacketInfo.PartialChecksum"/> (a segmentation-offload packet from a TUN) gets its
/// pseudo-header sum moved by the address change alone.
/// </remarks>
public static class NatRewriter
{
    /// <summary>Client to uplink: the source becomes <paramref name="newAddress"/>, the source port
    /// (for ICMP queries the identifier) <paramref name="newPort"/>.</summary>
    public static bool RewriteSource(Span<byte> packet, ref PacketInfo info, NetAddress newAddress, ushort newPort) =>
        Rewrite(packet, ref info, source: true, newAddress, newPort);

    /// <summary>Reply to client: the destination becomes <paramref name="newAddress"/>, the destination
    /// port (for ICMP queries the identifier) <paramref name="newPort"/>.</summary>
    public static bool RewriteDestination(Span<byte> packet, ref PacketInfo info, NetAddress newAddress, ushort newPort) =>
        Rewrite(packet, ref info, source: false, newAddress, newPort);

    /// <summary>
    /// The key of the packet an ICMP error quotes, as that packet was sent. For an error arriving on
    /// the uplink about a translated flow, the flow's reply key is <c>quoted.Reversed()</c>.
    /// False when the quote is too short to show the ports (or query identifier).
    /// </summary>
    public static bool TryReadQuotedFlow(ReadOnlySpan<byte> packet, in PacketInfo info, out FlowKey quoted)
    {
        if (!TryParseQuote(packet, in info, out var quote))
        {
            quoted = default;
            return false;
        }
        var v6 = info.Version == 6;
        var eo = info.EmbeddedOffset;
        quoted = new FlowKey(
            ReadAddress(packet, eo + AddressOffset(v6, source: true), v6),
            ReadAddress(packet, eo + AddressOffset(v6, source: false), v6),
            quote.Protocol,
            quote.SourcePortAt >= 0 ? Read16(packet, quote.SourcePortAt) : (ushort)0,
            quote.DestinationPortAt >= 0 ? Read16(packet, quote.DestinationPortAt) : (ushort)0);
        return true;
    }

    /// <summary>
    /// An ICMP error from the uplink about a translated flow goes back to the client: the outer
    /// destination becomes the client's address, and the quoted packet's source address and port
    /// (or query identifier) the client's again. Fixes the quoted IPv4 header checksum, the quoted
    /// transport checksum where the quote holds it, and the ICMP checksum, which covers the quote
    /// (and for ICMPv6 the outer pseudo header).
    /// </summary>
    public static bool TranslateIcmpError(Span<byte> packet, ref PacketInfo info, NetAddress clientAddress, ushort clientPort) =>
        TranslateError(packet, ref info, inbound: true, clientAddress, clientPort);

    /// <summary>
    /// The mirror image, for an ICMP error a client sends about a reply it received (say a port
    /// unreachable): the outer source becomes the uplink address, and the quoted packet's destination
    /// address and port the uplink's translated ones.
    /// </summary>
    public static bool TranslateOutgoingIcmpError(Span<byte> packet, ref PacketInfo info, NetAddress uplinkAddress, ushort uplinkPort) =>
        TranslateError(packet, ref info, inbound: false, uplinkAddress, uplinkPort);

    /// <summary>ICMP messages whose bytes 4-5 hold a query identifier, as the parser counts them.</summary>
    private static bool IsQuery(byte protocol, byte icmpType) => protocol switch
    {
        1 => IcmpV4Message.IsQueryType(icmpType),
        58 => IcmpV6Message.IsQueryType(icmpType),
        _ => false,
    };

    private static bool Rewrite(Span<byte> packet, ref PacketInfo info, bool source, NetAddress address, ushort port)
    {
        var v6 = info.Version == 6;
        if ((info.Version != 4 && !v6) || address.IsV6 != v6)
        {
            return false;
        }
        var end = Math.Min(info.TotalLength, packet.Length);
        var t = info.TransportOffset;
        if (end < (v6 ? 40 : 20) || t < (v6 ? 40 : 20))
        {
            return false;
        }

        int portAt = -1, checksumAt = -1;
        bool pseudo = false, udp = false;
        if (!info.IsFragment || info.FragmentOffset == 0)
        {
            switch (info.Protocol)
            {
                case 6:
                    if (t + 20 > end)
                    {
                        return false;
                    }
                    (portAt, checksumAt, pseudo) = (t + (source ? 0 : 2), t + 16, true);
                    break;
                case 17:
                    if (t + 8 > end)
                    {
                        return false;
                    }
                    (portAt, checksumAt, pseudo, udp) = (t + (source ? 0 : 2), t + 6, true, true);
                    break;
                case 1 when !v6:
                    if (t + 8 > end)
                    {
                        return false;
                    }
                    if (IsQuery(1, packet[t]))
                    {
                        (portAt, checksumAt) = (t + 4, t + 2);
                    }
                    break;
                case 58 when v6:
                    if (t + 8 > end)
                    {
                        return false;
                    }
                    (portAt, checksumAt, pseudo) = (IsQuery(58, packet[t]) ? t + 4 : -1, t + 2, true);
                    break;
                case IpProtocol.Dccp or IpProtocol.UdpLite when t + 8 <= end:
                    // Tracked by address alone, but their checksums cover the pseudo header (RFC 4340 §9, RFC 3828 §3.2).
                    (checksumAt, pseudo) = (t + 6, true);
                    break;
            }
        }

        var addressAt = AddressOffset(v6, source);
        var oldAddress = ReadAddress(packet, addressAt, v6);
        address.WriteTo(packet[addressAt..]);
        if (!v6)
        {
            Write16(packet, 10, Checksum.Update(Read16(packet, 10), oldAddress, address));
        }
        if (checksumAt >= 0 && info.PartialChecksum)
        {
            // The field is an uncomplemented pseudo-header sum; ports lie in the summed range and are
            // counted when the checksum is completed, so only the addresses change it.
            if (pseudo)
            {
                Write16(packet, checksumAt, (ushort)~Checksum.Update((ushort)~Read16(packet, checksumAt), oldAddress, address));
            }
        }
        else if (checksumAt >= 0)
        {
            var checksum = Read16(packet, checksumAt);
            if (!(udp && checksum == 0))
            {
                if (pseudo)
                {
                    checksum = Checksum.Update(checksum, oldAddress, address);
                }
                if (portAt >= 0)
                {
                    checksum = Checksum.Update(checksum, Read16(packet, portAt), port);
                }
                Write16(packet, checksumAt, udp && checksum == 0 ? (ushort)0xFFFF : checksum);
            }
        }
        if (portAt >= 0)
        {
            Write16(packet, portAt, port);
        }

        if (source)
        {
            info.Source = address;
            info.SourcePort = portAt >= 0 ? port : info.SourcePort;
        }
        else
        {
            info.Destination = address;
            info.DestinationPort = portAt >= 0 ? port : info.DestinationPort;
        }
        if (portAt >= 0 && info.Protocol is 1 or 58)
        {
            // One identifier stands for both ports of an ICMP query.
            info.SourcePort = info.DestinationPort = port;
        }
        return true;
    }

    private static bool TranslateError(Span<byte> packet, ref PacketInfo info, bool inbound, NetAddress address, ushort port)
    {
        var v6 = info.Version == 6;
        if (address.IsV6 != v6 || !TryParseQuote(packet, in info, out var quote))
        {
            return false;
        }
        var t = info.TransportOffset;
        var eo = info.EmbeddedOffset;
        var icmp = Read16(packet, t + 2);

        // Inbound, the quoted packet left through the uplink, so its source was translated;
        // outbound, it came in from the uplink, so its destination was.
        var quotedAt = eo + AddressOffset(v6, source: inbound);
        var oldQuoted = ReadAddress(packet, quotedAt, v6);
        address.WriteTo(packet[quotedAt..]);
        icmp = Checksum.Update(icmp, oldQuoted, address);
        if (!v6)
        {
            icmp = ReplaceWord(packet, eo + 10, Checksum.Update(Read16(packet, eo + 10), oldQuoted, address), icmp);
        }

        var portAt = inbound ? quote.SourcePortAt : quote.DestinationPortAt;
        if (quote.ChecksumAt >= 0)
        {
            var old = Read16(packet, quote.ChecksumAt);
            if (!(quote.IsUdp && old == 0))
            {
                var updated = old;
                if (quote.Pseudo)
                {
                    updated = Checksum.Update(updated, oldQuoted, address);
                }
                if (portAt >= 0)
                {
                    updated = Checksum.Update(updated, Read16(packet, portAt), port);
                }
                icmp = ReplaceWord(packet, quote.ChecksumAt, quote.IsUdp && updated == 0 ? (ushort)0xFFFF : updated, icmp);
            }
        }
        if (portAt >= 0)
        {
            icmp = ReplaceWord(packet, portAt, port, icmp);
        }

        var outerAt = AddressOffset(v6, source: !inbound);
        var oldOuter = ReadAddress(packet, outerAt, v6);
        address.WriteTo(packet[outerAt..]);
        if (v6)
        {
            icmp = Checksum.Update(icmp, oldOuter, address);
        }
        else
        {
            Write16(packet, 10, Checksum.Update(Read16(packet, 10), oldOuter, address));
        }
        Write16(packet, t + 2, icmp);

        if (inbound)
        {
            info.Destination = address;
        }
        else
        {
            info.Source = address;
        }
        return true;
    }

    /// <summary>Where the quoted packet's fields are; -1 for a field the quote does not hold.</summary>
    private readonly record struct Quote(byte Protocol, int SourcePortAt, int DestinationPortAt, int ChecksumAt, bool Pseudo, bool IsUdp);

    private static bool TryParseQuote(ReadOnlySpan<byte> packet, in PacketInfo info, out Quote quote)
    {
        quote = default;
        var v6 = info.Version == 6;
        if (!info.IsIcmpError || (info.Version != 4 && !v6) || info.Protocol != (v6 ? 58 : 1))
        {
            return false;
        }
        var end = Math.Min(info.TotalLength, packet.Length);
        var t = info.TransportOffset;
        var eo = info.EmbeddedOffset;
        // The quote starts after the 8-byte ICMP header; an even distance keeps its 16-bit words
        // aligned with the ICMP checksum's, which the incremental updates rely on.
        if (t < (v6 ? 40 : 20) || t + 8 > end || eo < t + 8 || ((eo - t) & 1) != 0)
        {
            return false;
        }

        int headerLength;
        byte protocol;
        var firstFragment = true;
        if (v6)
        {
            if (eo + 40 > end || packet[eo] >> 4 != 6)
            {
                return false;
            }
            // The ports lie beyond any extension headers the quoted packet carried (the firewall
            // forwards such packets, so it must translate errors about them); the walk checks each
            // header's length against the quote.
            if (!Ipv6Packet.Unchecked(PacketParser.AsReadable(packet[eo..end])).TryWalkExtensionHeaders(out var chain, out _))
            {
                return false;
            }
            headerLength = chain.TransportOffset;
            protocol = chain.Protocol;
            firstFragment = chain.FragmentOffset == 0;
        }
        else
        {
            if (eo + 20 > end || packet[eo] >> 4 != 4)
            {
                return false;
            }
            headerLength = (packet[eo] & 0x0F) * 4;
            if (headerLength < 20 || eo + headerLength > end)
            {
                return false;
            }
            protocol = packet[eo + 9];
            firstFragment = (Read16(packet, eo + 6) & 0x1FFF) == 0;
        }

        var et = eo + headerLength;
        var quoted = end - et;
        switch (protocol)
        {
            case 6 or 17:
                // RFC 792 promises the first 8 bytes of the datagram: the ports always, the TCP
                // checksum (bytes 16-17) only in longer quotes (RFC 1812 §4.3.2.3).
                if (!firstFragment || quoted < 4)
                {
                    return false;
                }
                var checksumAt = protocol == 6 ? 16 : 6;
                quote = new Quote(protocol, et, et + 2, quoted >= checksumAt + 2 ? et + checksumAt : -1, true, protocol == 17);
                return true;
            case 1 when !v6:
            case 58 when v6:
                if (!firstFragment || quoted < 6)
                {
                    return false;
                }
                var id = IsQuery(protocol, packet[et]) ? et + 4 : -1;
                quote = new Quote(protocol, id, id, et + 2, protocol == 58, false);
                return true;
            // The next header of a non-first fragment, after which the walk stops: the ports cannot be found.
            case 0 or 43 or 44 or 51 or 60 when v6:
                return false;
            default:
                // A protocol without ports: addresses only. That includes the IPv6 headers the walk
                // does not follow (mobility, HIP, shim6, experimental), since the forward path tracks
                // their flows by addresses too.
                quote = new Quote(protocol, -1, -1, -1, false, false);
                return true;
        }
    }

    /// <summary>Writes a word inside the ICMP message and folds the change into the ICMP checksum.</summary>
    private static ushort ReplaceWord(Span<byte> packet, int at, ushort value, ushort icmpChecksum)
    {
        var old = Read16(packet, at);
        Write16(packet, at, value);
        return Checksum.Update(icmpChecksum, old, value);
    }

    // RFC 791 §3.1: source at 12, destination at 16; RFC 8200 §3: source at 8, destination at 24.
    private static int AddressOffset(bool v6, bool source) => v6 ? (source ? 8 : 24) : (source ? 12 : 16);

    private static NetAddress ReadAddress(ReadOnlySpan<byte> packet, int at, bool v6) =>
        v6 ? NetAddress.FromV6Bytes(packet.Slice(at, 16)) : NetAddress.FromV4Bytes(packet.Slice(at, 4));

    private static ushort Read16(ReadOnlySpan<byte> packet, int at) => BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);

    private static void Write16(Span<byte> packet, int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(packet[at..], value);
}
