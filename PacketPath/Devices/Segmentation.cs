using System.Runtime.InteropServices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Turns what a TUN with offloads hands over into packets a device without them can take: splits
/// GSO super-packets (TSO4, TSO6, USO) into the segments the kernel would have sent, and completes
/// partial checksums. Nothing is allocated; the caller owns every buffer.
/// </summary>
/// <remarks>
/// Follows the kernel's tcp_gso_segment, __udp_gso_segment and inet_gso_segment, as wireguard-go's
/// gsoSplit does (tun/offload_linux.go). As there, hdr_len is not trusted: the header length comes
/// from the packet's own IP and TCP/UDP headers.
/// </remarks>
public static class Segmentation
{
    /// <summary>
    /// Splits <paramref name="packet"/> (the IP packet after <paramref name="header"/>) into
    /// <paramref name="output"/>, back to back, each segment preceded by <paramref name="headroom"/>
    /// zero bytes. With a headroom of <see cref="VirtioNetHeader.Size"/>, the bytes before each
    /// segment are a <see cref="VirtioNetHeader.None"/>, ready for a TUN with the virtio header.
    /// <paramref name="segments"/> receives where each segment (without headroom) lies.
    /// </summary>
    /// <remarks>
    /// A packet without GSO is copied as one segment, its checksum completed when it
    /// <see cref="VirtioNetHeader.NeedsChecksum"/>. Every TCP segment gets consecutive sequence
    /// numbers, FIN and PSH only on the last, CWR only on the first; IPv4 segments get consecutive
    /// identifications from the super-packet's. Every checksum is computed in full.
    /// </remarks>
    /// <returns>
    /// False, with <paramref name="count"/> 0, when the packet does not match its header
    /// (<see cref="DropReason.Truncated"/>, <see cref="DropReason.BadIpVersion"/>,
    /// <see cref="DropReason.BadTransportHeader"/>, <see cref="DropReason.BadFragment"/>,
    /// <see cref="DropReason.UnsupportedProtocol"/> for UFO or a mismatched protocol), or when its
    /// segments do not fit <paramref name="output"/> or <paramref name="segments"/>
    /// (<see cref="DropReason.TooBig"/>).
    /// </returns>
    public static bool TrySplit(
        in VirtioNetHeader header,
        ReadOnlySpan<byte> packet,
        Span<byte> output,
        Span<Range> segments,
        out int count,
        out DropReason reason,
        int headroom = 0)
    {
        if (!TrySplitFrom(header, packet, 0, output, segments, out count, out var left, out reason, headroom))
        {
            return false;
        }
        if (left > 0)
        {
            count = 0;
            return Fail(DropReason.TooBig, out reason);
        }
        return true;
    }

    /// <summary>
    /// <see cref="TrySplit"/> in parts, for super-packets with more segments than the buffers hold
    /// (a small MSS): writes the segments from <paramref name="first"/> on, as many as fit, and
    /// says how many are <paramref name="left"/> after them. The next call starts at
    /// <paramref name="first"/> + <paramref name="count"/>; each call reads the headers afresh, so
    /// the caller must not change <paramref name="packet"/> in between.
    /// </summary>
    /// <returns>
    /// As <see cref="TrySplit"/>; <see cref="DropReason.TooBig"/> only when not even one segment
    /// fits, or <paramref name="first"/> is past the last segment.
    /// </returns>
    public static bool TrySplitFrom(
        in VirtioNetHeader header,
        ReadOnlySpan<byte> packet,
        int first,
        Span<byte> output,
        Span<Range> segments,
        out int count,
        out int left,
        out DropReason reason,
        int headroom = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        count = 0;
        left = 0;
        if (!header.IsGso)
        {
            return first == 0
                ? TryCopyWhole(header, packet, output, segments, ref count, out reason, headroom)
                : Fail(DropReason.TooBig, out reason);
        }
        if (!TryFindHeaders(header.Gso, AsReadable(packet), out var layout, out reason))
        {
            return false;
        }
        var mss = header.GsoSize;
        if (mss == 0)
        {
            return Fail(DropReason.BadTransportHeader, out reason);
        }
        var payload = layout.TotalLength - layout.HeadersLength;
        var needed = Math.Max(1, (payload + mss - 1) / mss);
        // Every segment but the last is full, so this many always fit; the last may need less room.
        var room = (long)headroom + layout.HeadersLength + mss;
        var fit = (int)Math.Min(Math.Min(needed - first, segments.Length), output.Length / room);
        var last = Math.Min(payload - (needed - 1) * mss, mss);
        if (first + fit + 1 == needed && fit < segments.Length
            && (fit + 1) * room - (mss - last) <= output.Length)
        {
            fit++;
        }
        if (first >= needed || fit <= 0)
        {
            return Fail(DropReason.TooBig, out reason);
        }

        var headers = packet[..layout.HeadersLength];
        var data = packet[layout.HeadersLength..layout.TotalLength];
        var position = 0;
        for (var n = 0; n < fit; n++)
        {
            var i = first + n;
            var chunk = Math.Min(mss, payload - i * mss);
            output.Slice(position, headroom).Clear();
            position += headroom;
            var segment = output.Slice(position, layout.HeadersLength + chunk);
            headers.CopyTo(segment);
            data.Slice(i * mss, chunk).CopyTo(segment[layout.HeadersLength..]);
            FixSegment(segment, layout, i, i * mss, first: i == 0, last: i == needed - 1);
            segments[n] = new Range(position, position + segment.Length);
            position += segment.Length;
        }
        count = fit;
        left = needed - first - fit;
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Completes the checksum of a packet whose header <see cref="VirtioNetHeader.NeedsChecksum"/>
    /// (CHECKSUM_PARTIAL): the field at csum_start + csum_offset holds the folded pseudo-header sum,
    /// so the checksum over csum_start to the end of <paramref name="packet"/> (exactly the IP
    /// packet, as a TUN read returns it) is the one to store. A result of 0 is stored as 0xFFFF, as
    /// skb_checksum_help does (net/core/dev.c), which keeps UDP's "no checksum" meaning out.
    /// </summary>
    /// <returns>True when the checksum is complete (also when there was nothing to do); false when the offsets lie outside the packet.</returns>
    public static bool CompleteChecksum(in VirtioNetHeader header, Span<byte> packet)
    {
        if (!header.NeedsChecksum)
        {
            return true;
        }
        int start = header.ChecksumStart;
        var field = start + header.ChecksumOffset;
        if (field + 2 > packet.Length || (header.ChecksumOffset & 1) != 0)
        {
            return false;
        }
        var checksum = Checksum.Compute(packet[start..]);
        packet[field] = (byte)(checksum == 0 ? 0xFF : checksum >> 8);
        packet[field + 1] = (byte)(checksum == 0 ? 0xFF : checksum);
        return true;
    }

    private static bool TryCopyWhole(in VirtioNetHeader header, ReadOnlySpan<byte> packet, Span<byte> output, Span<Range> segments, ref int count, out DropReason reason, int headroom)
    {
        if (segments.IsEmpty || headroom + packet.Length > output.Length)
        {
            return Fail(DropReason.TooBig, out reason);
        }
        output[..headroom].Clear();
        var segment = output.Slice(headroom, packet.Length);
        packet.CopyTo(segment);
        if (!CompleteChecksum(header, segment))
        {
            return Fail(DropReason.BadTransportHeader, out reason);
        }
        segments[0] = new Range(headroom, headroom + packet.Length);
        count = 1;
        reason = DropReason.None;
        return true;
    }

    /// <summary>Where a super-packet's headers are: the same in every segment.</summary>
    private readonly record struct Layout(bool IsV6, bool IsTcp, int TransportOffset, int HeadersLength, int TotalLength, NetAddress Source, NetAddress Destination);

    private static bool TryFindHeaders(VirtioGsoType gso, Span<byte> packet, out Layout layout, out DropReason reason)
    {
        layout = default;
        if (gso is not (VirtioGsoType.TcpV4 or VirtioGsoType.TcpV6 or VirtioGsoType.UdpL4))
        {
            return Fail(DropReason.UnsupportedProtocol, out reason);
        }
        if (packet.IsEmpty)
        {
            return Fail(DropReason.Truncated, out reason);
        }
        var isV6 = packet[0] >> 4 == 6;
        if ((gso == VirtioGsoType.TcpV4 && isV6) || (gso == VirtioGsoType.TcpV6 && !isV6))
        {
            return Fail(DropReason.BadIpVersion, out reason);
        }
        int transportOffset, totalLength;
        byte protocol;
        NetAddress source, destination;
        if (isV6)
        {
            if (!Ipv6Packet.TryParse(packet, out var ip, out reason) || !ip.TryWalkExtensionHeaders(out var chain, out reason))
            {
                return false;
            }
            if (chain.HasFragmentHeader)
            {
                return Fail(DropReason.BadFragment, out reason);
            }
            // Behind a Routing header with segments left, the segments' checksums name the final destination.
            (transportOffset, totalLength, protocol, source, destination) = (chain.TransportOffset, ip.TotalLength, chain.Protocol, ip.Source, ip.PseudoHeaderDestination(chain));
        }
        else
        {
            if (!Ipv4Packet.TryParse(packet, out var ip, out reason))
            {
                return false;
            }
            if (ip.IsFragment)
            {
                return Fail(DropReason.BadFragment, out reason);
            }
            (transportOffset, totalLength, protocol, source, destination) = (ip.HeaderLength, ip.TotalLength, ip.Protocol, ip.Source, ip.Destination);
        }
        var isTcp = gso != VirtioGsoType.UdpL4;
        if (protocol != (isTcp ? IpProtocol.Tcp : IpProtocol.Udp))
        {
            return Fail(DropReason.UnsupportedProtocol, out reason);
        }
        var transport = packet[transportOffset..totalLength];
        int transportHeader;
        if (isTcp)
        {
            if (!TcpSegment.TryParse(transport, out var tcp, out reason))
            {
                return false;
            }
            transportHeader = tcp.HeaderLength;
        }
        else
        {
            // The UDP length field of a USO super-packet is not the datagram's; only the header counts.
            if (transport.Length < UdpDatagram.HeaderLength)
            {
                return Fail(DropReason.Truncated, out reason);
            }
            transportHeader = UdpDatagram.HeaderLength;
        }
        layout = new Layout(isV6, isTcp, transportOffset, transportOffset + transportHeader, totalLength, source, destination);
        reason = DropReason.None;
        return true;
    }

    private static void FixSegment(Span<byte> segment, in Layout layout, int index, int payloadOffset, bool first, bool last)
    {
        if (layout.IsV6)
        {
            Ipv6Packet.Unchecked(segment).PayloadLength = (ushort)(segment.Length - Ipv6Packet.HeaderLength);
        }
        else
        {
            var ip = Ipv4Packet.Unchecked(segment);
            ip.TotalLength = (ushort)segment.Length;
            ip.Identification = (ushort)(ip.Identification + index);
            ip.FillHeaderChecksum();
        }
        var transport = segment[layout.TransportOffset..];
        if (layout.IsTcp)
        {
            var tcp = TcpSegment.Unchecked(transport);
            tcp.SequenceNumber += (uint)payloadOffset;
            var flags = tcp.Flags;
            if (!last)
            {
                flags &= ~(TcpFlags.Fin | TcpFlags.Psh);
            }
            if (!first)
            {
                flags &= ~TcpFlags.Cwr;
            }
            tcp.Flags = flags;
            tcp.FillChecksum(layout.Source, layout.Destination);
        }
        else
        {
            var udp = UdpDatagram.Unchecked(transport);
            udp.Length = (ushort)transport.Length;
            udp.FillChecksum(layout.Source, layout.Destination);
        }
    }

    /// <summary>The views take <see cref="Span{T}"/>; only their getters are called on this one, as in <see cref="PacketParser"/>.</summary>
    private static Span<byte> AsReadable(ReadOnlySpan<byte> packet) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(packet), packet.Length);

    private static bool Fail(DropReason why, out DropReason reason)
    {
        reason = why;
        return false;
    }
}
