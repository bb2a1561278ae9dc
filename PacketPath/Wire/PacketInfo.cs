namespace Lethe.PacketPath.Wire;

/// <summary>
/// What the parser learned about one packet: plain values and offsets into the caller's buffer,
/// so later stages read and rewrite fields without parsing again. Filled by <see cref="PacketParser"/>.
/// </summary>
public struct PacketInfo
{
    /// <summary>4 or 6.</summary>
    public byte Version;

    public NetAddress Source;
    public NetAddress Destination;

    /// <summary>
    /// The transport protocol after any IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).
    /// For a non-first IPv6 fragment, the fragment header's next header: what follows is data.
    /// </summary>
    public byte Protocol;

    /// <summary>TTL (IPv4) or hop limit (IPv6).</summary>
    public byte HopLimit;

    /// <summary>Length of the whole IP packet as its header says (never more than the buffer).</summary>
    public int TotalLength;

    /// <summary>Offset of the transport header from the start of the IP header.</summary>
    public int TransportOffset;

    /// <summary>TCP/UDP ports; for ICMP echo and other queries both hold the query identifier.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;

    /// <summary>TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10).</summary>
    public byte TcpFlags;

    public byte IcmpType;
    public byte IcmpCode;

    /// <summary>An ICMP/ICMPv6 error (unreachable, time exceeded, ...) carrying the header of the packet that caused it.</summary>
    public bool IsIcmpError;

    /// <summary>For ICMP errors: offset of the embedded (quoted) IP header from the start of the outer IP header.</summary>
    public int EmbeddedOffset;

    /// <summary>IPv4 DF bit.</summary>
    public bool DontFragment;

    /// <summary>
    /// Any fragment (IPv4 MF or offset, or an IPv6 fragment header with M or an offset). An IPv6
    /// atomic fragment (offset 0, no M) is a whole packet (RFC 6946) and not counted here; its
    /// identification is still in <see cref="FragmentId"/>.
    /// </summary>
    public bool IsFragment;

    /// <summary>Fragment offset in bytes; 0 for the first fragment.</summary>
    public int FragmentOffset;

    /// <summary>
    /// For a fragment, where its data (the part offsets count in) starts: after the IPv4 header, or
    /// after the IPv6 fragment header, which extension headers may follow.
    /// </summary>
    public int FragmentDataOffset;

    /// <summary>IPv4 MF, IPv6 M: more fragments of the datagram follow this one.</summary>
    public bool MoreFragments;

    /// <summary>IPv4 identification or IPv6 fragment identification.</summary>
    public uint FragmentId;

    /// <summary>
    /// The transport checksum is partial (a TUN's CHECKSUM_PARTIAL, virtio NEEDS_CSUM): the field
    /// holds the folded pseudo-header sum and whoever sends the packet on sums the rest. Set by the
    /// caller, not the parser; NAT then updates the field for address changes only.
    /// </summary>
    public bool PartialChecksum;

    /// <summary>
    /// For a segmentation-offload super-packet, the transport payload of each segment (virtio
    /// gso_size); 0 for a plain packet. Set by the caller. The MTU applies to the segments.
    /// </summary>
    public int SegmentPayload;

    public readonly bool HasPorts => Protocol is 6 or 17 && (!IsFragment || FragmentOffset == 0);
}
