namespace Lethe.PacketPath.Devices;

/// <summary>
/// A capture file read packet by packet into the caller's buffer: classic libpcap (<see cref="PcapReader"/>)
/// or pcapng (<see cref="PcapngReader"/>). <see cref="CaptureReader.Open"/> picks one by the file's first bytes.
/// </summary>
public interface ICaptureReader
{
    /// <summary>
    /// The latest timestamp a reader returns: the end of the year 9999 in microseconds since 1970, the last a
    /// DateTimeOffset (replay's wall clock) holds. A pcapng timestamp past it, or before 1970, is refused.
    /// </summary>
    const long LatestMicroseconds = 253_402_300_799_999_999;

    /// <summary>The most a packet may have been cut to: replay sizes its buffer by it and names it when packets were cut.</summary>
    uint SnapLength { get; }

    /// <summary>How long the last packet was on the wire: more than its captured bytes when the capture's snaplen cut it.</summary>
    int OriginalLength { get; }

    /// <summary>
    /// Reads the next packet into <paramref name="buffer"/>. Returns false at the end of the file.
    /// <paramref name="timestampMicroseconds"/> counts from 1970, 0 to <see cref="LatestMicroseconds"/>.
    /// <paramref name="ipOffset"/> and <paramref name="ipLength"/> locate the IP packet inside it;
    /// <paramref name="ipLength"/> is 0 when the frame holds no IPv4/IPv6 packet (<paramref name="ipOffset"/>
    /// 0 too when the frame is cut inside its link header). A file that cannot be read throws
    /// <see cref="InvalidDataException"/> naming the record or block where it fails.
    /// </summary>
    bool TryRead(Span<byte> buffer, out long timestampMicroseconds, out int capturedLength, out int ipOffset, out int ipLength);
}
