using System.Buffers.Binary;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// Builds pcapng files block by block, in either byte order, so tests can say exactly what each
/// block holds (and hand the reader the malformed ones a real tool never writes).
/// </summary>
public sealed class PcapngCapture(bool bigEndian = false)
{
    private readonly MemoryStream _file = new();

    public byte[] ToArray() => _file.ToArray();

    /// <summary>A Section Header Block, version 1.0, section length unknown (-1).</summary>
    public PcapngCapture Section()
    {
        var body = new byte[16];
        U32(body, 0, 0x1A2B3C4D);
        U16(body, 4, 1);
        U16(body, 6, 0);
        U64(body, 8, ulong.MaxValue);
        return Block(0x0A0D0D0A, body);
    }

    /// <summary>An Interface Description Block; <paramref name="tsresol"/> adds the if_tsresol option, <paramref name="tsoffset"/> if_tsoffset.</summary>
    public PcapngCapture Interface(ushort linkType, uint snapLength = 0, byte? tsresol = null, long? tsoffset = null)
    {
        var head = new byte[8];
        U16(head, 0, linkType);
        U32(head, 4, snapLength);
        var body = new List<byte>(head);
        if (tsresol is { } resolution)
        {
            body.AddRange(Option(9, [resolution]));
        }
        if (tsoffset is { } offset)
        {
            var value = new byte[8];
            U64(value, 0, (ulong)offset);
            body.AddRange(Option(14, value));
        }
        if (tsresol is not null || tsoffset is not null)
        {
            body.AddRange(new byte[4]); // opt_endofopt
        }
        return Block(1, [.. body]);
    }

    /// <summary>An Enhanced Packet Block: <paramref name="timestamp"/> in the interface's units.</summary>
    public PcapngCapture Packet(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null, uint? capturedLength = null)
    {
        var body = new byte[20 + Pad(data.Length)];
        U32(body, 0, interfaceId);
        U32(body, 4, (uint)(timestamp >> 32));
        U32(body, 8, (uint)timestamp);
        U32(body, 12, capturedLength ?? (uint)data.Length);
        U32(body, 16, originalLength ?? (uint)data.Length);
        data.CopyTo(body, 20);
        return Block(6, body);
    }

    /// <summary>A Simple Packet Block: interface 0, no timestamp.</summary>
    public PcapngCapture Simple(byte[] data, uint? originalLength = null)
    {
        var body = new byte[4 + Pad(data.Length)];
        U32(body, 0, originalLength ?? (uint)data.Length);
        data.CopyTo(body, 4);
        return Block(3, body);
    }

    /// <summary>Any block: type, leading length, body, trailing length; <paramref name="length"/> overrides both lengths.</summary>
    public PcapngCapture Block(uint type, byte[] body, uint? length = null)
    {
        var header = new byte[8];
        U32(header, 0, type);
        U32(header, 4, length ?? (uint)(12 + body.Length));
        _file.Write(header);
        _file.Write(body);
        var trailer = new byte[4];
        U32(trailer, 0, length ?? (uint)(12 + body.Length));
        _file.Write(trailer);
        return this;
    }

    /// <summary>Raw bytes, for a file cut short.</summary>
    public PcapngCapture Raw(byte[] bytes)
    {
        _file.Write(bytes);
        return this;
    }

    private byte[] Option(ushort code, byte[] value)
    {
        var option = new byte[4 + Pad(value.Length)];
        U16(option, 0, code);
        U16(option, 2, (ushort)value.Length);
        value.CopyTo(option, 4);
        return option;
    }

    private static int Pad(int length) => (length + 3) & ~3;

    private void U16(byte[] b, int at, ushort v)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    }

    private void U32(byte[] b, int at, uint v)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    }

    private void U64(byte[] b, int at, ulong v)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
    }
}
