using System.Buffers.Binary;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>A classic pcap file of any link type, its frames written as given: for the link headers the reader must take apart.</summary>
public static class LinkTypeCapture
{
    public static byte[] Of(uint linkType, params byte[][] frames)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262_144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], linkType);
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        var t = 1_764_000_000u;
        foreach (var frame in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(record, t++);
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)frame.Length);
            stream.Write(record);
            stream.Write(frame);
        }
        return stream.ToArray();
    }

    /// <summary>A Linux cooked (v1, 16 bytes) frame: packet type, ARPHRD_ETHER, a 6-byte address, the protocol.</summary>
    public static byte[] Sll(ushort protocol, byte[] payload, ushort packetType = 0)
    {
        var frame = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, packetType);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        frame[6] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), protocol);
        payload.CopyTo(frame, 16);
        return frame;
    }

    /// <summary>A Linux cooked v2 (20 bytes) frame, as `tcpdump -i any` writes: protocol first, then interface, ARPHRD, packet type, address.</summary>
    public static byte[] Sll2(ushort protocol, byte[] payload, byte packetType = 0, uint interfaceIndex = 2)
    {
        var frame = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, protocol);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), interfaceIndex);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 1);
        frame[10] = packetType;
        frame[11] = 6;
        frame[12] = 0x02;
        payload.CopyTo(frame, 20);
        return frame;
    }
}
