using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Gathers consecutive UDP datagrams of one flow, on their way out of one device, into a single
/// USO super-packet (the reverse of <see cref="Segmentation.TrySplit"/>), so that a burst costs one
/// write(2) instead of one per datagram. The kernel side of the device splits it again into the
/// same datagrams. One worker owns an instance; nothing is allocated after construction.
/// </summary>
/// <remarks>
/// What may join is what the kernel's UDP GRO would merge, and no more: addresses, ports, TOS or
/// traffic class, TTL or hop limit, the flags and the flow label alike; IPv4 without options, not a
/// fragment, with DF set and identifications counting up by one from the first (the split numbers
/// the datagrams so, and they leave with the identifications they came with; a sender whose
/// datagrams all carry 0, an unconnected socket's, sends them one by one);
/// IPv6 with UDP right after the fixed header; every datagram as long as the first, the last one
/// shorter or equal. A datagram must come with its checksum still to be computed (NEEDS_CSUM) or
/// already verified by the kernel (DATA_VALID): the super-packet's checksums are computed afresh on
/// the split, which must not turn a damaged datagram into a valid one.
/// </remarks>
public sealed class UdpCoalescer
{
    /// <summary>Datagrams per super-packet at most; the kernel takes up to 128 (UDP_MAX_SEGMENTS).</summary>
    public const int MaxSegments = 64;

    private const int Headroom = VirtioNetHeader.Size;
    private const int Ipv4HeaderLength = Ipv4Packet.MinHeaderLength;
    private const int UdpPortsLength = 4;
    private const int MaxLength = ushort.MaxValue;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(Headroom + MaxLength, pinned: true);
    private VirtioNetHeader _first;
    private int _length;
    private int _headersLength;
    private int _segmentSize;
    private bool _closed;

    /// <summary>The device the pending datagrams leave by, or -1 when none are pending.</summary>
    public int Device { get; private set; } = -1;

    /// <summary>Datagrams pending.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Adds the datagram <paramref name="packet"/> (an IP packet, after NAT) leaving by
    /// <paramref name="device"/>; false, with nothing changed, when it cannot join what is pending
    /// (then take those first) or cannot be coalesced at all (then send it alone).
    /// </summary>
    public bool TryAdd(int device, in VirtioNetHeader header, ReadOnlySpan<byte> packet)
    {
        if (header.IsGso || (header.Flags & (VirtioNetFlags.NeedsChecksum | VirtioNetFlags.DataValid)) == 0
            || !TryMeasure(packet, out var headersLength))
        {
            return false;
        }
        var payload = packet.Length - headersLength;
        if (Count == 0)
        {
            Device = device;
            _first = header;
            _headersLength = headersLength;
            _segmentSize = payload;
            _closed = false;
            packet.CopyTo(_buffer.AsSpan(Headroom));
            _length = packet.Length;
            Count = 1;
            return true;
        }
        if (device != Device || _closed || Count == MaxSegments || headersLength != _headersLength
            || payload > _segmentSize || _length + payload > MaxLength || !SameFlow(packet))
        {
            return false;
        }
        packet[headersLength..].CopyTo(_buffer.AsSpan(Headroom + _length));
        _length += payload;
        _closed = payload < _segmentSize;
        Count++;
        return true;
    }

    /// <summary>
    /// The frame to write (virtio-net header, then the packet) for what is pending, and empties the
    /// coalescer. One datagram leaves as it came; more leave as one USO super-packet whose IP and UDP
    /// lengths cover them all and whose checksum field holds the pseudo-header sum, as the kernel's own
    /// UDP GSO builds it. Valid until the next <see cref="TryAdd"/>.
    /// </summary>
    public ReadOnlySpan<byte> Take()
    {
        if (Count == 0)
        {
            return [];
        }
        var frame = _buffer.AsSpan(0, Headroom + _length);
        var packet = frame[Headroom..];
        if (Count == 1)
        {
            _first.WriteTo(frame);
        }
        else
        {
            var ipLength = _headersLength - UdpDatagram.HeaderLength;
            new VirtioNetHeader(
                VirtioNetFlags.NeedsChecksum,
                VirtioGsoType.UdpL4,
                (ushort)_headersLength,
                (ushort)_segmentSize,
                (ushort)ipLength,
                VirtioNetHeader.UdpChecksumOffset).WriteTo(frame);
            NetAddress source, destination;
            if (ipLength == Ipv4HeaderLength)
            {
                var ip = Ipv4Packet.Unchecked(packet);
                ip.TotalLength = (ushort)_length;
                ip.FillHeaderChecksum();
                (source, destination) = (ip.Source, ip.Destination);
            }
            else
            {
                var ip = Ipv6Packet.Unchecked(packet);
                ip.PayloadLength = (ushort)(_length - Ipv6Packet.HeaderLength);
                (source, destination) = (ip.Source, ip.Destination);
            }
            var udpLength = _length - ipLength;
            var udp = UdpDatagram.Unchecked(packet[ipLength..]);
            udp.Length = (ushort)udpLength;
            // CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
            udp.Checksum = (ushort)~Checksum.Finish(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, udpLength));
        }
        Count = 0;
        Device = -1;
        return frame;
    }

    /// <summary>IP and UDP header bytes of a datagram that may be coalesced, with every length consistent.</summary>
    private static bool TryMeasure(ReadOnlySpan<byte> packet, out int headersLength)
    {
        headersLength = 0;
        if (packet.Length < Ipv4HeaderLength + UdpDatagram.HeaderLength)
        {
            return false;
        }
        int ipLength;
        switch (packet[0])
        {
            case 0x45:
                var flags = packet[6];
                // DF set, MF clear, offset 0.
                if (packet[9] != IpProtocol.Udp || flags != 0x40 || packet[7] != 0
                    || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
                {
                    return false;
                }
                ipLength = Ipv4HeaderLength;
                break;
            case >= 0x60 and <= 0x6F:
                if (packet.Length < Ipv6Packet.HeaderLength + UdpDatagram.HeaderLength || packet[6] != IpProtocol.Udp
                    || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != packet.Length - Ipv6Packet.HeaderLength)
                {
                    return false;
                }
                ipLength = Ipv6Packet.HeaderLength;
                break;
            default:
                return false;
        }
        // A checksum of 0 is one the sender never put (VXLAN, SO_NO_CHECK): the split would give it one, so
        // Linux's UDP GRO leaves such datagrams alone, and so does this.
        if (BinaryPrimitives.ReadUInt16BigEndian(packet[(ipLength + 4)..]) != packet.Length - ipLength
            || packet.Length == ipLength + UdpDatagram.HeaderLength
            || BinaryPrimitives.ReadUInt16BigEndian(packet[(ipLength + 6)..]) == 0)
        {
            return false;
        }
        headersLength = ipLength + UdpDatagram.HeaderLength;
        return true;
    }

    /// <summary>
    /// Every header byte but the lengths, the IPv4 identification and the checksums matches the first
    /// datagram's, and the identification is the first's plus the datagrams before it.
    /// </summary>
    private bool SameFlow(ReadOnlySpan<byte> packet)
    {
        var first = _buffer.AsSpan(Headroom, _headersLength);
        if (_headersLength == Ipv4HeaderLength + UdpDatagram.HeaderLength)
        {
            return BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) == (ushort)(BinaryPrimitives.ReadUInt16BigEndian(first[4..]) + Count)
                && packet[..2].SequenceEqual(first[..2])
                && packet[6..10].SequenceEqual(first[6..10])
                && packet[12..(Ipv4HeaderLength + UdpPortsLength)].SequenceEqual(first[12..(Ipv4HeaderLength + UdpPortsLength)]);
        }
        return packet[..4].SequenceEqual(first[..4])
            && packet[6..(Ipv6Packet.HeaderLength + UdpPortsLength)].SequenceEqual(first[6..(Ipv6Packet.HeaderLength + UdpPortsLength)]);
    }
}
