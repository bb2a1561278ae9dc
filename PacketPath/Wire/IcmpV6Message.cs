using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// A view over an ICMPv6 message (RFC 4443 §2.1). Error messages (types below 128) quote as much of
/// the offending packet as fits at <see cref="EmbeddedOffset"/>; echo carries an identifier. The
/// checksum covers the IPv6 pseudo-header.
/// </summary>
public readonly ref struct IcmpV6Message
{
    public const int HeaderLength = 8;

    /// <summary>Where an error's quoted packet starts, from the start of the ICMPv6 message.</summary>
    public const int EmbeddedOffset = 8;

    public const byte DestinationUnreachable = 1;
    public const byte PacketTooBig = 2;
    public const byte TimeExceeded = 3;
    public const byte ParameterProblem = 4;
    public const byte EchoRequest = 128;
    public const byte EchoReply = 129;

    /// <summary>Destination unreachable codes (RFC 4443 §3.1).</summary>
    public const byte UnreachableNoRoute = 0;
    public const byte UnreachableAdministrativelyProhibited = 1;
    public const byte UnreachableAddress = 3;
    public const byte UnreachablePort = 4;

    /// <summary>Time exceeded code for a hop limit that ran out in transit.</summary>
    public const byte TimeExceededInTransit = 0;

    private static class Field
    {
        public const int Type = 0;
        public const int Code = 1;
        public const int Checksum = 2;
        public const int Identifier = 4;
        public const int Sequence = 6;
        public const int Mtu = 4;
        public const int Pointer = 4;
    }

    private readonly Span<byte> _buffer;

    private IcmpV6Message(Span<byte> buffer) => _buffer = buffer;

    /// <summary>Wraps a buffer without checks, for emitting: the caller guarantees at least 8 bytes.</summary>
    public static IcmpV6Message Unchecked(Span<byte> buffer) => new(buffer);

    /// <summary>Checks the 8-byte header. The quoted packet of an error is checked by <see cref="PacketParser"/>.</summary>
    public static bool TryParse(Span<byte> buffer, out IcmpV6Message message, out DropReason reason)
    {
        message = default;
        if (buffer.Length < HeaderLength)
        {
            reason = DropReason.Truncated;
            return false;
        }
        message = new IcmpV6Message(buffer);
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Every type below 128 (RFC 4443 §2.1): the four it defines (unreachable, too big, time exceeded,
    /// parameter problem) and those it leaves unassigned (0 and 5-127), which a node passes up as errors
    /// (§2.4 (d)) and Linux's conntrack relates to the flow they quote as it does the four.
    /// </summary>
    public static bool IsErrorType(byte type) => type < EchoRequest;

    public const byte NodeInformationQuery = 139;

    /// <summary>Echo request and node information query (RFC 4620): the only ICMPv6 that may start a flow, as in Linux's conntrack.</summary>
    public static bool IsRequestType(byte type) => type is EchoRequest or NodeInformationQuery;

    /// <summary>The reply that answers <paramref name="request"/>, one of <see cref="IsRequestType"/>: echo reply, node information reply.</summary>
    public static byte ReplyTypeOf(byte request) => (byte)(request + 1);

    /// <summary>Echo request and reply: the queries whose identifier NAT maps like a port.</summary>
    public static bool IsQueryType(byte type) => type is EchoRequest or EchoReply;

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

    /// <summary>The MTU a packet-too-big message announces.</summary>
    public uint Mtu
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.Mtu..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Mtu..], value);
    }

    /// <summary>The byte offset a parameter problem points at.</summary>
    public uint Pointer
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_buffer[Field.Pointer..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_buffer[Field.Pointer..], value);
    }

    /// <summary>Everything after the 8-byte header: echo data, or an error's quoted packet.</summary>
    public Span<byte> Body => _buffer[HeaderLength..];

    public Span<byte> Bytes => _buffer;

    /// <summary>The checksum over the pseudo-header (RFC 8200 §8.1, next header 58) and the message, with the checksum field taken as zero.</summary>
    public ushort ComputeChecksum(NetAddress source, NetAddress destination) =>
        Wire.Checksum.Finish(Wire.Checksum.AddSkippingField(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.IcmpV6, _buffer.Length), _buffer, Field.Checksum));

    public bool VerifyChecksum(NetAddress source, NetAddress destination) =>
        Wire.Checksum.Finish(Wire.Checksum.Add(Wire.Checksum.PseudoHeader(source, destination, IpProtocol.IcmpV6, _buffer.Length), _buffer)) == 0;

    public void FillChecksum(NetAddress source, NetAddress destination) => Checksum = ComputeChecksum(source, destination);
}
