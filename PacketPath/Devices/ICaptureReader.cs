namespace Lethe.PacketPath.Devices;

/// <summary>
/// A capture file read packet by packet into the caller's buffer: classic libpcap (<see cref="PcapReader"/>)
/// or pcapng (<see cref="PcapngReader"/>). <see cref="CaptureReader.Open"/> picks one by the file's first bytes.
/// </summary>
public interface ICaptureReader
{
    /// <summary>The most a packet may have been cut to: replay sizes its buffer by it and names it when packets were cut.</summary>
    uint SnapLength { get; }

    /// <summary>How long the last packet was on the wire: more than its captured bytes when the capture's snaplen cut it.</summary>
    int OriginalLength { get; }

    /// <summary>
    /// Reads the next packet into <paramref name="buffer"/>. Returns false at the end of the file.
    /// <paramref name="ipOffset"/> and <paramref name="ipLength"/> locate the IP packet inside it;
    /// <paramref name="ipLength"/> is 0 when the frame holds no IPv4/IPv6 packet (<paramref name="ipOffset"/>
    /// 0 too when the frame is cut inside its link header). A file that cannot be read throws
    /// <see cref="InvalidDataException"/> naming the record or block where it fails.
    /// </summary>
    bool TryRead(Span<byte> buffer, out long timestampMicroseconds, out int capturedLength, out int ipOffset, out int ipLength);
}
