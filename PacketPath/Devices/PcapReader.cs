using System.Buffers.Binary;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Reads classic libpcap files (not pcapng): microsecond or nanosecond timestamps, either byte
/// order, link types ETHERNET (1), RAW (101), IPV4 (228), IPV6 (229), the Linux cooked headers
/// that `tcpdump -i any` writes (LINUX_SLL 113, LINUX_SLL2 276) and BSD loopback (NULL 0, LOOP 108).
/// Each record is copied into the caller's buffer; nothing is allocated per packet.
/// <see cref="CaptureReader.Open"/> picks this reader or <see cref="PcapngReader"/> by the file's first bytes.
/// </summary>
public sealed class PcapReader : ICaptureReader
{
    public const uint LinkTypeNull = 0;
    public const uint LinkTypeEthernet = 1;
    public const uint LinkTypeRaw = 101;
    public const uint LinkTypeLoop = 108;
    public const uint LinkTypeLinuxSll = 113;
    public const uint LinkTypeIpv4 = 228;
    public const uint LinkTypeIpv6 = 229;
    public const uint LinkTypeLinuxSll2 = 276;

    /// <summary>What the refusal of another link type names, so a user knows what to convert to.</summary>
    public const string Supported = "ETHERNET 1, RAW 101, LINUX_SLL 113 and LINUX_SLL2 276 from `tcpdump -i any`, IPV4 228, IPV6 229, NULL 0 and LOOP 108";

    private readonly Stream _stream;
    private readonly bool _swapped;
    private readonly bool _nanoseconds;
    private readonly byte[] _recordHeader = new byte[16];

    public PcapReader(Stream stream) : this(stream, [])
    {
    }

    /// <param name="start">The file's first bytes, already read from <paramref name="stream"/> (to tell the format).</param>
    internal PcapReader(Stream stream, ReadOnlySpan<byte> start)
    {
        _stream = stream;
        Span<byte> header = stackalloc byte[24];
        start.CopyTo(header);
        var rest = header[start.Length..];
        if (stream.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false) < rest.Length)
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
            0x0a0d0d0a => throw new InvalidDataException("this is a pcapng file, which PcapngReader reads (CaptureReader.Open picks it)"),
            _ => throw new InvalidDataException($"not a pcap file (magic 0x{magic:x8})"),
        };
        SnapLength = Read32(header[16..]);
        // The low 16 bits; those above say whether frames carry a frame check sequence, which, like
        // Ethernet padding, lies past the IP packet's own length and is left out with it.
        LinkType = Read32(header[20..]) & 0xFFFF;
        if (!IsSupported(LinkType))
        {
            throw new InvalidDataException($"pcap link type {LinkType} is not supported ({Supported} are)");
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
        (ipOffset, ipLength) = IpPayload(LinkType, buffer[..capturedLength]);
        return true;
    }

    /// <summary>Whether <see cref="IpPayload"/> can take apart frames of <paramref name="linkType"/>.</summary>
    internal static bool IsSupported(uint linkType) =>
        linkType is LinkTypeEthernet or LinkTypeRaw or LinkTypeIpv4 or LinkTypeIpv6 or LinkTypeLinuxSll or LinkTypeLinuxSll2
            or LinkTypeNull or LinkTypeLoop;

    /// <summary>
    /// Locates the IP packet in a frame of a supported <paramref name="linkType"/>: (offset, length),
    /// the length 0 when the frame holds no IPv4/IPv6 packet (the offset 0 too when it is cut inside its link header).
    /// </summary>
    internal static (int Offset, int Length) IpPayload(uint linkType, ReadOnlySpan<byte> frame) =>
        linkType switch
        {
            LinkTypeRaw or LinkTypeIpv4 or LinkTypeIpv6 => (0, frame.Length),
            LinkTypeEthernet => EtherTypePayload(frame, 12, 14),
            // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, then the EtherType.
            LinkTypeLinuxSll => EtherTypePayload(frame, 14, 16),
            // v2: the EtherType first, then interface index, ARPHRD type, packet type, address: 20 bytes in all.
            LinkTypeLinuxSll2 => EtherTypePayload(frame, 0, 20),
            _ => LoopbackPayload(frame),
        };

    /// <summary>
    /// Locates the IP packet behind a link header whose EtherType lies at <paramref name="typeOffset"/>
    /// and whose payload starts at <paramref name="payloadOffset"/>, stepping over VLAN tags (in a
    /// cooked frame the kernel puts an offloaded tag back at the payload's start). (0, 0): the frame is
    /// shorter than its link header, or an IP frame holds nothing after it; (offset, 0): another protocol.
    /// </summary>
    private static (int Offset, int Length) EtherTypePayload(ReadOnlySpan<byte> frame, int typeOffset, int payloadOffset)
    {
        while (frame.Length >= payloadOffset)
        {
            var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[typeOffset..]);
            if (etherType is 0x8100 or 0x88A8)
            {
                // VLAN tag: 2 bytes of tag control, then the next EtherType, then what it announces.
                typeOffset = payloadOffset + 2;
                payloadOffset += 4;
                continue;
            }
            // An IP frame with nothing after its link header is cut short, not another protocol.
            return etherType is 0x0800 or 0x86DD
                ? (frame.Length > payloadOffset ? (payloadOffset, frame.Length - payloadOffset) : (0, 0))
                : (payloadOffset, 0);
        }
        return (0, 0);
    }

    /// <summary>
    /// NULL and LOOP: a 4-byte address family, in the capturing host's byte order (NULL) or network
    /// order (LOOP). A family fits in 16 bits, so either order is read from the value. AF_INET is 2
    /// everywhere; AF_INET6 is 10 on Linux, 24, 28 or 30 on the BSDs and macOS.
    /// </summary>
    private static (int Offset, int Length) LoopbackPayload(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 4)
        {
            return (0, 0);
        }
        var family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (family > 0xFFFF)
        {
            family = BinaryPrimitives.ReverseEndianness(family);
        }
        if (family is not (2 or 10 or 24 or 28 or 30))
        {
            return (4, 0);
        }
        return frame.Length > 4 ? (4, frame.Length - 4) : (0, 0);
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
