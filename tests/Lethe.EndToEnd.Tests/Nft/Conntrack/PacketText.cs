using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.Conntrack;

/// <summary>Packets as the differential tests' reports show them: addresses, ports, flags, what an ICMP error quotes, bad checksums.</summary>
internal static class PacketText
{
    public static string Kind(byte[]? answer)
    {
        if (answer is null)
        {
            return "none";
        }
        if (!PacketParser.TryParse(answer, out var info, out var reason))
        {
            return "unparsed " + reason;
        }
        return info.Protocol == IpProtocol.Tcp ? $"tcp {(TcpFlags)info.TcpFlags}" : $"icmp {info.IcmpType}/{info.IcmpCode}";
    }

    public static string Describe(byte[] packet)
    {
        if (!PacketParser.TryParse(packet, out var info, out var reason))
        {
            return $"[{packet.Length} bytes, {reason}]";
        }
        var what = info.Protocol switch
        {
            IpProtocol.Tcp => $"tcp {info.Source}:{info.SourcePort}>{info.Destination}:{info.DestinationPort} {(TcpFlags)info.TcpFlags}",
            IpProtocol.Udp => $"udp {info.Source}:{info.SourcePort}>{info.Destination}:{info.DestinationPort}",
            _ when info.IsIcmpError => $"icmp {info.IcmpType}/{info.IcmpCode} {info.Source}>{info.Destination} quoting " + Describe(packet[info.EmbeddedOffset..info.TotalLength]),
            _ => $"icmp {info.IcmpType} {info.Source}>{info.Destination} id {info.SourcePort}",
        };
        return what + (Valid(packet, info) ? "" : " BAD-CHECKSUM");
    }

    private static bool Valid(byte[] packet, PacketInfo info)
    {
        if (info.TotalLength > packet.Length)
        {
            return true; // a quote cut short: its checksums cannot be checked
        }
        var bytes = packet.AsSpan(0, info.TotalLength);
        if (info.Version == 4 && !Ipv4Packet.Unchecked(bytes).VerifyHeaderChecksum())
        {
            return false;
        }
        var transport = bytes[info.TransportOffset..];
        return info.Protocol switch
        {
            IpProtocol.Tcp => TcpSegment.Unchecked(transport).VerifyChecksum(info.Source, info.Destination),
            IpProtocol.Udp => UdpDatagram.Unchecked(transport).VerifyChecksum(info.Source, info.Destination),
            IpProtocol.Icmp when info.Version == 4 => IcmpV4Message.Unchecked(transport).VerifyChecksum(),
            IpProtocol.IcmpV6 when info.Version == 6 => IcmpV6Message.Unchecked(transport).VerifyChecksum(info.Source, info.Destination),
            _ => true,
        };
    }
}
