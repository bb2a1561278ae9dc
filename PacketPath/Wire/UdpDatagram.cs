using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over a UDP datagram (RFC 768). The length field must cover the 8-byte header and fit in
/// the buffer; <see cref="Payload"/> stops at it, so IP padding after the datagram is ignored.
/// </summary>
public readonly ref struct UdpDatagram
{
    public const int HeaderLength = 8;

    private static class Field
    {
        public const int SourcePort = 0;
        public const int DestinationPort = 2;
        public const int Length = 4;
        public const int Checksum = 6;
    }

    private readonly Span<byte> _buffer;

    private UdpDatagram(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting or for the first 8 bytes of a first fragment.</summary>
    public static UdpDatagram Unchecked(Span<byte> buffer) => new(buffer);

    public static bool TryParse(Span<byte> buffer, out UdpDatagram datagram, out DropReason reason)
    {
        datagram = default;
        if (buffer.Length < HeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(buffer[Field.Length..]);
        if (length < HeaderLength)
        {
            reason = DropReason.BadTransportHeader;
            return false;
        }
        if (length > buffer.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        datagram = new UdpDatagram(buffer);
        reason = DropReason.None;
        return true;
    }

    public ushort SourcePort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.SourcePort..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.SourcePort..], value);
    }

    public ushort DestinationPort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.DestinationPort..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.DestinationPort..], value);
    }

    /// <summary>Header plus data, in bytes.</summary>
    public ushort Length
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Length..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Length..], value);
    }

    /// <summary>0 over IPv4 means "no checksum" (RFC 768); a computed 0 is sent as 0xFFFF.</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Checksum..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Checksum..], value);
    }

    /// <summary>Header and data up to the length field.</summary>
    public Span<byte> Bytes => _buffer[..Length];

    public Span<byte> Payload => _buffer[HeaderLength..Length];

    /// <summary>The checksum to store, with the checksum field taken as zero; never 0, which would mean "none".</summary>
    public ushort ComputeChecksum(NetAddress source, NetAddress destination)
    {
        var bytes = Bytes;
        var sum = Wire.Checksum.AddSkippingField(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.Udp, bytes.Length), bytes, Field.Checksum);
        var checksum = Wire.Checksum.Finish(sum);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }

    /// <summary>True when the checksum is right, or is 0 over IPv4 (none sent). IPv6 requires one (RFC 8200 §8.1).</summary>
    public bool VerifyChecksum(NetAddress source, NetAddress destination)
    {
        if (Checksum == 0)
        {
            return !source.IsV6;
        }
        var bytes = Bytes;
        return Wire.Checksum.Finish(Wire.Checksum.Add(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.Udp, bytes.Length), bytes)) == 0;
    }

    public void FillChecksum(NetAddress source, NetAddress destination) => Checksum = ComputeChecksum(source, destination);
}
