using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over a TCP segment (RFC 9293 §3.1). The buffer is the IP payload: the segment ends where
/// the IP packet ends, since TCP carries no length of its own.
/// </summary>
public readonly ref struct TcpSegment
{
    public const int MinHeaderLength = 20;

    private static class Field
    {
        public const int SourcePort = 0;
        public const int DestinationPort = 2;
        public const int Sequence = 4;
        public const int Acknowledgement = 8;
        public const int DataOffset = 12;
        public const int Flags = 13;
        public const int Window = 14;
        public const int Checksum = 16;
        public const int Urgent = 18;
        public const int Options = 20;
    }

    private readonly Span<byte> _buffer;

    private TcpSegment(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting: the caller guarantees its length.</summary>
    public static TcpSegment Unchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Checks the 20-byte header, a data offset of 5 to 15 words, and that the buffer holds the whole header with options.</summary>
    public static bool TryParse(Span<byte> buffer, out TcpSegment segment, out DropReason reason)
    {
        segment = default;
        if (buffer.Length < MinHeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        var headerLength = (buffer[Field.DataOffset] >> 4) * 4;
        if (headerLength < MinHeaderLength)
        {
            reason = DropReason.BadTransportHeader;
            return false;
        }
        if (headerLength > buffer.Length)
        {
            reason = DropReason.Truncated;
            return false;
        }
        segment = new TcpSegment(buffer);
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

    public uint SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.Sequence..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Sequence..], value);
    }

    public uint AcknowledgementNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.Acknowledgement..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Acknowledgement..], value);
    }

    /// <summary>Header length in bytes (data offset × 4), 20 to 60.</summary>
    public int HeaderLength
    {
        get => (_buffer[Field.DataOffset] >> 4) * 4;
        set => _buffer[Field.DataOffset] = (byte)(((value / 4) << 4) | (_buffer[Field.DataOffset] & 0x0F));
    }

    public TcpFlags Flags
    {
        get => (TcpFlags)_buffer[Field.Flags];
        set => _buffer[Field.Flags] = (byte)value;
    }

    public ushort WindowSize
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Window..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Window..], value);
    }

    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Checksum..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Checksum..], value);
    }

    public ushort UrgentPointer
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Urgent..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Urgent..], value);
    }

    public Span<byte> Options => _buffer[Field.Options..HeaderLength];

    public Span<byte> Payload => _buffer[HeaderLength..];

    /// <summary>The whole segment: header, options and payload.</summary>
    public Span<byte> Bytes => _buffer;

    /// <summary>The checksum over the pseudo-header and the segment, with the checksum field taken as zero.</summary>
    public ushort ComputeChecksum(NetAddress source, NetAddress destination) =>
        Wire.Checksum.Finish(Wire.Checksum.AddSkippingField(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, _buffer.Length), _buffer, Field.Checksum));

    public bool VerifyChecksum(NetAddress source, NetAddress destination) =>
        Wire.Checksum.Finish(Wire.Checksum.Add(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, _buffer.Length), _buffer)) == 0;

    public void FillChecksum(NetAddress source, NetAddress destination) => Checksum = ComputeChecksum(source, destination);
}
