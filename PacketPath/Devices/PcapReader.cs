using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Reads classic libpcap files (not pcapng): microsecond or nanosecond timestamps, either byte
/// order, link types RAW (101) and ETHERNET (1). Each record is copied into the caller's buffer;
/// nothing is allocated per packet.
/// </summary>
public sealed class PcapReader
{
    public const uint LinkTypeEthernet = 1;
    public const uint LinkTypeRaw = 101;

    private readonly Stream _stream;
    private readonly bool _swapped;
    private readonly bool _nanoseconds;
    private readonly byte[] _recordHeader = new byte[16];

    public PcapReader(Stream stream)
    {
        _stream = stream;
        Span<byte> header = stackalloc byte[24];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
        {
            throw new InvalidDataException("not a pcap file: shorter than the 24-byte global header");
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        (_swapped, _nanoseconds) = magic switch
        {
            0xa1b2c3d4 => (false, false),
            0xd4c3b2a1 => (true, false),
            0xa1b23c4d => (false, true),
            0x4d3cb2a1 => (true, true),
            0x0a0d0d0a => throw new InvalidDataException("this is a pcapng file; convert it with `editcap -F pcap IN OUT`"),
            _ => throw new InvalidDataException($"not a pcap file (magic 0x{magic:x8})"),
        };
        SnapLength = Read32(header[16..]);
        // The low 16 bits; those above say whether frames carry a frame check sequence, which, like
        // Ethernet padding, lies past the IP packet's own length and is left out with it.
        LinkType = Read32(header[20..]) & 0xFFFF;
        if (LinkType is not (LinkTypeEthernet or LinkTypeRaw))
        {
            throw new InvalidDataException($"pcap link type {LinkType} is not supported (RAW 101 and ETHERNET 1 are)");
        }
    }

    public uint LinkType { get; }

    public uint SnapLength { get; }

    /// <summary>The number of the record <see cref="TryRead"/> read last (the first is 1).</summary>
    public long Record { get; private set; }

    /// <summary>How long the last record's packet was on the wire: more than its captured bytes when the capture's snaplen cut it.</summary>
    public int OriginalLength { get; private set; }

    /// <summary>
    /// Reads the next record into <paramref name="buffer"/>. Returns false at the end of the file.
    /// <paramref name="ipOffset"/> and <paramref name="ipLength"/> locate the IP packet inside it;
    /// <paramref name="ipLength"/> is 0 when the frame holds no IPv4/IPv6 packet.
    /// </summary>
    public bool TryRead(Span<byte> buffer, out long timestampMicroseconds, out int capturedLength, out int ipOffset, out int ipLength)
    {
        timestampMicroseconds = 0;
        capturedLength = ipOffset = ipLength = 0;
        if (!ReadExactly(_recordHeader, Record + 1))
        {
            return false;
        }
        Record++;
        var seconds = Read32(_recordHeader);
        var fraction = Read32(_recordHeader.AsSpan(4));
        var included = Read32(_recordHeader.AsSpan(8));
        var original = Read32(_recordHeader.AsSpan(12));
        timestampMicroseconds = seconds * 1_000_000L + (_nanoseconds ? fraction / 1000 : fraction);
        if (included > buffer.Length)
        {
            throw new InvalidDataException($"record {Record} holds {included} bytes, more than any packet (at most {buffer.Length})");
        }
        capturedLength = (int)included;
        OriginalLength = (int)Math.Clamp(original, included, int.MaxValue);
        if (!ReadExactly(buffer[..capturedLength], Record))
        {
            throw new InvalidDataException($"the file ends inside record {Record}");
        }
        (ipOffset, ipLength) = LinkType == LinkTypeRaw ? (0, capturedLength) : EthernetPayload(buffer[..capturedLength]);
        return true;
    }

    private static (int Offset, int Length) EthernetPayload(ReadOnlySpan<byte> frame)
    {
        var offset = 12;
        while (frame.Length >= offset + 2)
        {
            var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
            if (etherType is 0x8100 or 0x88A8)
            {
                offset += 4; // VLAN tag
                continue;
            }
            offset += 2;
            // An IP frame with nothing after its Ethernet header is cut short, not another protocol.
            return etherType is 0x0800 or 0x86DD ? (frame.Length > offset ? (offset, frame.Length - offset) : (0, 0)) : (offset, 0);
        }
        return (0, 0);
    }

    private uint Read32(ReadOnlySpan<byte> bytes) =>
        _swapped ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <param name="record">The record being read, for the message when the file ends inside it.</param>
    private bool ReadExactly(Span<byte> destination, long record)
    {
        if (destination.IsEmpty)
        {
            // A record that captured nothing is a record: only a read that wanted bytes and got none is the end.
            return true;
        }
        var read = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (read == 0)
        {
            return false;
        }
        if (read < destination.Length)
        {
            throw new InvalidDataException($"the file ends inside record {record}");
        }
        return true;
    }
}
