using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>Writes a classic libpcap file of raw IP packets (link type 101), microsecond timestamps.</summary>
public sealed class PcapWriter
{
    private readonly Stream _stream;
    private readonly byte[] _recordHeader = new byte[16];

    public PcapWriter(Stream stream, int snapLength = 262144)
    {
        _stream = stream;
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], PcapReader.LinkTypeRaw);
        _stream.Write(header);
    }

    public void Write(long timestampMicroseconds, ReadOnlySpan<byte> packet) => Write(timestampMicroseconds, packet, packet.Length);

    /// <summary>The first <paramref name="captured"/> bytes of <paramref name="packet"/>, recorded as cut by a snaplen.</summary>
    public void Write(long timestampMicroseconds, ReadOnlySpan<byte> packet, int captured)
    {
        captured = Math.Clamp(captured, 0, packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader, (uint)(timestampMicroseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(4), (uint)(timestampMicroseconds % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(8), (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(_recordHeader.AsSpan(12), (uint)packet.Length);
        _stream.Write(_recordHeader);
        _stream.Write(packet[..captured]);
    }

    public void Flush() => _stream.Flush();
}
