using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Builds one rtnetlink request and reads the attributes of an answer: struct nlmsghdr (16 bytes),
/// the family header, then attributes (struct nlattr, 4 bytes, payloads padded to 4), as
/// include/uapi/linux/netlink.h lays them out, in host byte order (little-endian on x86-64 and arm64).
/// </summary>
public ref struct NetlinkMessage
{
    public const int HeaderSize = 16;
    public const ushort Error = 2;
    public const ushort FlagRequest = 0x1;
    public const ushort FlagAck = 0x4;
    private const int AttributeHeaderSize = 4;
    private const ushort AttributeTypeMask = 0x3fff;

    private readonly Span<byte> _buffer;
    private int _length;

    /// <summary>Starts a request of <paramref name="type"/> with a zeroed family header of <paramref name="familyHeaderSize"/> bytes.</summary>
    public NetlinkMessage(Span<byte> buffer, ushort type, ushort flags, uint sequence, int familyHeaderSize)
    {
        _buffer = buffer;
        _length = HeaderSize + Align(familyHeaderSize);
        buffer[.._length].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], sequence);
    }

    public void Add(ushort type, scoped ReadOnlySpan<byte> value)
    {
        var size = AttributeHeaderSize + value.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[_length..], (ushort)size);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[(_length + 2)..], type);
        value.CopyTo(_buffer[(_length + AttributeHeaderSize)..]);
        _buffer.Slice(_length + size, Align(size) - size).Clear();
        _length += Align(size);
    }

    public void Add(ushort type, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        Add(type, bytes);
    }

    /// <summary>The finished request, its length written into its header.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        return _buffer[.._length];
    }

    /// <summary>
    /// Finds the answer to <paramref name="sequence"/> among the messages of one datagram: the
    /// message itself (false for an error message, with its errno), skipping any other.
    /// </summary>
    /// <returns>Whether a message with that sequence number is in <paramref name="datagram"/>.</returns>
    public static bool TryFindAnswer(ReadOnlySpan<byte> datagram, uint sequence, out ReadOnlySpan<byte> message, out ushort type, out int errno)
    {
        var offset = 0;
        while (offset + HeaderSize <= datagram.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram[offset..]);
            if (length < HeaderSize || offset + length > datagram.Length)
            {
                break;
            }
            var candidate = datagram.Slice(offset, length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(candidate[8..]) == sequence)
            {
                message = candidate;
                type = BinaryPrimitives.ReadUInt16LittleEndian(candidate[4..]);
                errno = type == Error && length >= HeaderSize + 4 ? -BinaryPrimitives.ReadInt32LittleEndian(candidate[HeaderSize..]) : 0;
                return true;
            }
            offset += Align(length);
        }
        message = default;
        type = 0;
        errno = 0;
        return false;
    }

    /// <summary>The payload of the first attribute of <paramref name="attributeType"/> after a family header of <paramref name="familyHeaderSize"/> bytes.</summary>
    public static bool TryAttribute(ReadOnlySpan<byte> message, int familyHeaderSize, ushort attributeType, out ReadOnlySpan<byte> value)
    {
        var offset = HeaderSize + Align(familyHeaderSize);
        return TryNestedAttribute(offset <= message.Length ? message[offset..] : default, attributeType, out value);
    }

    /// <summary>The payload of the first attribute of <paramref name="attributeType"/> among <paramref name="attributes"/>: a nested attribute's payload, say.</summary>
    public static bool TryNestedAttribute(ReadOnlySpan<byte> attributes, ushort attributeType, out ReadOnlySpan<byte> value)
    {
        var offset = 0;
        while (offset + AttributeHeaderSize <= attributes.Length)
        {
            var size = BinaryPrimitives.ReadUInt16LittleEndian(attributes[offset..]);
            if (size < AttributeHeaderSize || offset + size > attributes.Length)
            {
                break;
            }
            if ((BinaryPrimitives.ReadUInt16LittleEndian(attributes[(offset + 2)..]) & AttributeTypeMask) == attributeType)
            {
                value = attributes.Slice(offset + AttributeHeaderSize, size - AttributeHeaderSize);
                return true;
            }
            offset += Align(size);
        }
        value = default;
        return false;
    }

    private static int Align(int length) => (length + 3) & ~3;
}
