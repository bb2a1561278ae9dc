using System.Buffers.Binary;
using System.Diagnostics;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over an IPv6 packet (RFC 8200 §3): the fixed header, and a bounded walk over the extension
/// headers behind it. <see cref="TryParse"/> checks the fixed header and the payload length once;
/// <see cref="Payload"/> stops at the payload length, not at the end of the buffer.
/// </summary>
public readonly ref struct Ipv6Packet
{
    public const int HeaderLength = 40;
    public const int FragmentHeaderLength = 8;

    /// <summary>
    /// More extension headers than this is a drop. RFC 8200 §4.1 lists six kinds, each at most once
    /// (destination options twice); a longer chain only serves to hide the transport header.
    /// </summary>
    public const int MaxExtensionHeaders = 8;

    private static class Field
    {
        public const int VersionClassFlow = 0;
        public const int PayloadLength = 4;
        public const int NextHeader = 6;
        public const int HopLimit = 7;
        public const int Source = 8;
        public const int Destination = 24;
    }

    private readonly Span<byte> _buffer;

    private Ipv6Packet(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting: the caller guarantees at least 40 bytes.</summary>
    public static Ipv6Packet Unchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Checks version 6, the 40-byte header and that the buffer holds the announced payload length.</summary>
    public static bool TryParse(Span<byte> buffer, out Ipv6Packet packet, out DropReason reason)
    {
        packet = default;
        if (buffer.Length < HeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        if (buffer[Field.VersionClassFlow] >> 4 != 6)
        {
            reason = DropReason.BadIpVersion;
            return false;
        }
        if (HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(buffer[Field.PayloadLength..]) > buffer.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        packet = new Ipv6Packet(buffer);
        reason = DropReason.None;
        return true;
    }

    public int Version => _buffer[Field.VersionClassFlow] >> 4;

    public byte TrafficClass
    {
        get => (byte)(BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.VersionClassFlow..]) >> 4);
        set
        {
            var word = BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.VersionClassFlow..]);
            BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.VersionClassFlow..], (ushort)((word & 0xF00F) | (value << 4)));
        }
    }

    public uint FlowLabel
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.VersionClassFlow..]) & 0xFFFFF;
        set
        {
            var word = BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.VersionClassFlow..]);
            BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.VersionClassFlow..], (word & 0xFFF00000) | (value & 0xFFFFF));
        }
    }

    public ushort PayloadLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.PayloadLength..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.PayloadLength..], value);
    }

    /// <summary>The fixed header's next header: the first extension header or the transport protocol.</summary>
    public byte NextHeader
    {
        get => _buffer[Field.NextHeader];
        set => _buffer[Field.NextHeader] = value;
    }

    public byte HopLimit
    {
        get => _buffer[Field.HopLimit];
        set => _buffer[Field.HopLimit] = value;
    }

    public NetAddress Source
    {
        get => NetAddress.FromV6Bytes(_buffer[Field.Source..]);
        set
        {
            Debug.Assert(value.IsV6, "An IPv6 header holds IPv6 addresses.");
            BinaryPrimitives.WriteUInt128BigEndian(_buffer[Field.Source..], value.Bits);
        }
    }

    public NetAddress Destination
    {
        get => NetAddress.FromV6Bytes(_buffer[Field.Destination..]);
        set
        {
            Debug.Assert(value.IsV6, "An IPv6 header holds IPv6 addresses.");
            BinaryPrimitives.WriteUInt128BigEndian(_buffer[Field.Destination..], value.Bits);
        }
    }

    /// <summary>Header plus payload length, capped at the buffer so an unchecked view of a quoted header stays in bounds.</summary>
    public int TotalLength => Math.Min(HeaderLength + PayloadLength, _buffer.Length);

    /// <summary>Everything after the fixed header up to the payload length: extension headers, then the transport.</summary>
    public Span<byte> Payload => _buffer[HeaderLength..TotalLength];

    /// <summary>
    /// Follows the next-header chain through hop-by-hop (0, first only), routing (43), fragment (44),
    /// destination options (60) and authentication (51) headers, checking each length against
    /// <see cref="TotalLength"/>. It stops at the first other header (ESP and no-next-header included,
    /// whose contents are opaque), and after a non-first fragment's header, since the rest is data.
    /// </summary>
    /// <remarks>
    /// A first fragment must hold the whole chain (RFC 8200 §4.5, RFC 7112), so a chain cut short
    /// inside one is <see cref="DropReason.BadFragment"/>; elsewhere it is
    /// <see cref="DropReason.BadExtensionHeader"/>.
    /// </remarks>
    public bool TryWalkExtensionHeaders(out Ipv6HeaderChain chain, out DropReason reason)
    {
        chain = default;
        var end = TotalLength;
        var next = NextHeader;
        var offset = HeaderLength;
        var count = 0;
        var fragmentHeaderOffset = 0;
        var fragmentOffset = 0;
        var moreFragments = false;
        uint fragmentId = 0;
        var routingHeaderOffset = 0;
        while (IsExtensionHeader(next))
        {
            var cut = moreFragments ? DropReason.BadFragment : DropReason.BadExtensionHeader;
            if (++count > MaxExtensionHeaders || (next == IpProtocol.HopByHop && offset != HeaderLength))
            {
                reason = DropReason.BadExtensionHeader;
                return false;
            }
            if (offset + 2 > end)
            {
                reason = cut;
                return false;
            }
            var length = next switch
            {
                IpProtocol.Fragment => FragmentHeaderLength,
                IpProtocol.Authentication => (_buffer[offset + 1] + 2) * 4, // RFC 4302 §2.2: in 4-byte units, minus 2
                _ => (_buffer[offset + 1] + 1) * 8, // RFC 8200 §4.3: in 8-byte units, not counting the first 8
            };
            if (offset + length > end)
            {
                reason = cut;
                return false;
            }
            if (next == IpProtocol.Fragment)
            {
                if (fragmentHeaderOffset != 0)
                {
                    reason = DropReason.BadExtensionHeader;
                    return false;
                }
                var offsetAndFlags = BinaryPrimitives.ReadUInt16BigEndian(_buffer[(offset + 2)..]);
                fragmentHeaderOffset = offset;
                fragmentOffset = offsetAndFlags & 0xFFF8;
                moreFragments = (offsetAndFlags & 1) != 0;
                fragmentId = BinaryPrimitives.ReadUInt32BigEndian(_buffer[(offset + 4)..]);
                next = _buffer[offset];
                offset += length;
                if (fragmentOffset != 0)
                {
                    break;
                }
                continue;
            }
            if (next == IpProtocol.Routing && _buffer[offset + 3] > 0)
            {
                routingHeaderOffset = offset;
            }
            next = _buffer[offset];
            offset += length;
        }
        chain = new Ipv6HeaderChain(next, offset, fragmentHeaderOffset, fragmentOffset, moreFragments, fragmentId, routingHeaderOffset);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// The destination a transport checksum's pseudo-header names (RFC 8200 §8.1): the final one when
    /// a Routing header still has segments left (type 0: its last address; type 2, Mobile IPv6: the
    /// home address; type 4, SRv6: segment list [0]), else the header's own. For the chain
    /// <see cref="TryWalkExtensionHeaders"/> found, which checked the Routing header's length.
    /// </summary>
    public NetAddress PseudoHeaderDestination(in Ipv6HeaderChain chain)
    {
        var offset = chain.RoutingHeaderOffset;
        if (offset == 0)
        {
            return Destination;
        }
        var addresses = _buffer[offset + 1] / 2; // 8-byte units after the first 8, two per address
        var at = _buffer[offset + 2] switch
        {
            0 when addresses > 0 => offset + 8 + (addresses - 1) * 16,
            2 or 4 when addresses > 0 => offset + 8,
            _ => -1,
        };
        return at >= 0 ? NetAddress.FromV6Bytes(_buffer.Slice(at, 16)) : Destination;
    }

    private static bool IsExtensionHeader(byte next) =>
        next is IpProtocol.HopByHop or IpProtocol.Routing or IpProtocol.Fragment or IpProtocol.DestinationOptions or IpProtocol.Authentication;
}
