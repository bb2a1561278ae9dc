using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>Opens a capture as classic libpcap or pcapng, told apart by its first four bytes (the stream need not seek).</summary>
public static class CaptureReader
{
    public static ICaptureReader Open(Stream stream)
    {
        Span<byte> start = stackalloc byte[4];
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        // pcapng's first block is a Section Header Block, whose type reads the same in either byte order.
        return read == 4 && BinaryPrimitives.ReadUInt32LittleEndian(start) == PcapngReader.SectionHeaderType
            ? new PcapngReader(stream, start)
            : new PcapReader(stream, start[..read]);
    }
}
