using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over an ICMP message (RFC 792): type, code, checksum and the 4-byte rest of header, then
/// the body. Error messages quote the IP header and at least 8 bytes of the packet that caused them
/// at <see cref="EmbeddedOffset"/>; queries carry an identifier and a sequence number.
/// </summary>
public readonly ref struct IcmpV4Message
{
    public const int HeaderLength = 8;

    /// <summary>Where an error's quoted packet starts, from the start of the ICMP message.</summary>
    public const int EmbeddedOffset = 8;

    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte SourceQuench = 4;
    public const byte Redirect = 5;
    public const byte EchoRequest = 8;
    public const byte TimeExceeded = 11;
    public const byte ParameterProblem = 12;
    public const byte TimestampRequest = 13;
    public const byte TimestampReply = 14;
    public const byte InformationRequest = 15;
    public const byte InformationReply = 16;
    public const byte AddressMaskRequest = 17;
    public const byte AddressMaskReply = 18;

    /// <summary>Destination unreachable codes (RFC 792, RFC 1812 §5.2.7.1).</summary>
    public const byte UnreachableNetwork = 0;
    public const byte UnreachableHost = 1;
    public const byte UnreachableProtocol = 2;
    public const byte UnreachablePort = 3;
    public const byte UnreachableFragmentationNeeded = 4;
    public const byte UnreachableAdministrativelyProhibited = 13;

    /// <summary>Time exceeded code for a TTL that ran out in transit.</summary>
    public const byte TimeExceededInTransit = 0;

    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Checksum = 2;
        public const int Identifier = 4;
        public const int Sequence = 6;
        public const int NextHopMtu = 6;
        public const int Pointer = 4;
        public const int Gateway = 4;
    }

    private readonly Span<byte> _buffer;

    private IcmpV4Message(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting: the caller guarantees at least 8 bytes.</summary>
    public static IcmpV4Message Unchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Checks the 8-byte header. The quoted packet of an error is checked by <see cref="PacketParser"/>.</summary>
    public static bool TryParse(Span<byte> buffer, out IcmpV4Message message, out DropReason reason)
    {
        message = default;
        if (buffer.Length < HeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        message = new IcmpV4Message(buffer);
        reason = DropReason.None;
        return true;
    }

    /// <summary>Unreachable, source quench, redirect, time exceeded, parameter problem: the types that quote a packet.</summary>
    public static bool IsErrorType(byte type) =>
        type is DestinationUnreachable or SourceQuench or Redirect or TimeExceeded or ParameterProblem;

    /// <summary>The requests of those pairs: the only ICMP that may start a flow (as in Linux's conntrack; a reply of no flow is invalid there).</summary>
    public static bool IsRequestType(byte type) =>
        type is EchoRequest or TimestampRequest or InformationRequest or AddressMaskRequest;

    /// <summary>The reply that answers <paramref name="request"/>, one of <see cref="IsRequestType"/>.</summary>
    public static byte ReplyTypeOf(byte request) => request == EchoRequest ? EchoReply : (byte)(request + 1);

    /// <summary>Request/reply pairs with an identifier at bytes 4–5, which NAT maps like a port.</summary>
    public static bool IsQueryType(byte type) =>
        type is EchoReply or EchoRequest or (>= TimestampRequest and <= AddressMaskReply);

    public byte Type
    {
        get => _buffer[Field.Type];
        set => _buffer[Field.Type] = value;
    }

    public byte Code
    {
        get => _buffer[Field.Code];
        set => _buffer[Field.Code] = value;
    }

    public bool IsError => IsErrorType(Type);

    public bool IsQuery => IsQueryType(Type);

    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Checksum..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Checksum..], value);
    }

    /// <summary>The query identifier (echo, timestamp, information, address mask).</summary>
    public ushort Identifier
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Identifier..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Identifier..], value);
    }

    public ushort SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.Sequence..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.Sequence..], value);
    }

    /// <summary>Next-hop MTU of a "fragmentation needed" unreachable (RFC 1191 §4).</summary>
    public ushort NextHopMtu
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_buffer[Field.NextHopMtu..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_buffer[Field.NextHopMtu..], value);
    }

    /// <summary>The byte a parameter problem points at.</summary>
    public byte Pointer
    {
        get => _buffer[Field.Pointer];
        set => _buffer[Field.Pointer] = value;
    }

    /// <summary>The gateway a redirect names.</summary>
    public NetAddress Gateway => NetAddress.FromV4Bytes(_buffer[Field.Gateway..]);

    /// <summary>Everything after the 8-byte header: echo data, or an error's quoted packet.</summary>
    public Span<byte> Body => _buffer[HeaderLength..];

    /// <summary>The whole message.</summary>
    public Span<byte> Bytes => _buffer;

    /// <summary>ICMPv4 sums the message alone, with no pseudo-header.</summary>
    public ushort ComputeChecksum() => Wire.Checksum.Finish(Wire.Checksum.AddSkippingField(0, _buffer, Field.Checksum));

    public bool VerifyChecksum() => Wire.Checksum.Compute(_buffer) == 0;

    public void FillChecksum() => Checksum = ComputeChecksum();
}
