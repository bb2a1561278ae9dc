using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Whether a virtio-net header read with a packet asks the kernel only for what that packet is.
/// <para>
/// The kernel behind the egress device completes a partial checksum at csum_start + csum_offset
/// and segments by the header's GSO type, wherever those point. The header comes from whoever wrote
/// the packet into the client's link (a VM's virtio driver, a PACKET_VNET_HDR socket), and Lethe
/// passes it on: a header aimed at a port or an address would have the kernel rewrite those bytes
/// after the rules judged the packet and NAT translated it. The kernel's own headers always name
/// the transport header and its checksum field, so anything else is dropped.
/// </para>
/// </summary>
public static class OffloadHeaderCheck
{
    public static bool Fits(in VirtioNetHeader header, in PacketInfo info)
    {
        if (header.NeedsChecksum)
        {
            var field = info.Protocol switch
            {
                IpProtocol.Tcp => VirtioNetHeader.TcpChecksumOffset,
                IpProtocol.Udp => VirtioNetHeader.UdpChecksumOffset,
                _ => -1,
            };
            if (info.IsFragment || header.ChecksumStart != info.TransportOffset || header.ChecksumOffset != field)
            {
                return false;
            }
        }
        if (header.Gso != VirtioGsoType.None && info.IsFragment)
        {
            return false; // a fragment is no super-packet: segmenting it would cut its payload into fragments of nothing
        }
        return header.Gso switch
        {
            VirtioGsoType.None => true,
            VirtioGsoType.TcpV4 => info.Version == 4 && info.Protocol == IpProtocol.Tcp,
            VirtioGsoType.TcpV6 => info.Version == 6 && info.Protocol == IpProtocol.Tcp,
            VirtioGsoType.UdpL4 => info.Protocol == IpProtocol.Udp,
            _ => false,
        };
    }

    /// <summary>
    /// Whether a header <see cref="Fits"/> refuses asks only for a checksum inside the transport's
    /// payload, past every byte the rules judge and NAT rewrites: a tunnel's inner checksum (VXLAN,
    /// GRE, IPIP), which Linux 6.17 and later leave to a TUN device as they leave the outer one. Such a
    /// checksum is completed before the packet goes on, and the header dropped, so that nothing
    /// downstream takes the outer transport's checksum for the partial one.
    /// </summary>
    public static bool IsInnerChecksumOnly(in VirtioNetHeader header, in PacketInfo info, ReadOnlySpan<byte> packet)
    {
        if (!header.NeedsChecksum || header.IsGso || info.IsFragment || info.TotalLength > packet.Length)
        {
            return false;
        }
        var t = info.TransportOffset;
        int payload;
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                if (t + 13 > info.TotalLength)
                {
                    return false;
                }
                payload = t + ((packet[t + 12] >> 4) * 4);
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                return false; // an error's quoted packet is translated too
            default:
                // UDP's header, and the first 8 bytes of any other (DCCP's and UDP-Lite's checksums lie there).
                payload = t + 8;
                break;
        }
        return header.ChecksumStart >= payload && (header.ChecksumOffset & 1) == 0
            && header.ChecksumStart + header.ChecksumOffset + 2 <= info.TotalLength;
    }
}
