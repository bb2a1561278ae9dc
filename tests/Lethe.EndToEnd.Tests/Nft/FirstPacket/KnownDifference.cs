using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests.Nft.FirstPacket;

/// <summary>
/// The differences between Lethe and the kernel under its ruleset that README's "`nft`: the same policy
/// in the kernel" lists (most under "Known differences from Lethe (first packets)"), told apart from any
/// other: each names the one it is, or null for one README does not explain.
/// Where answers come from is not compared at all (the kernel's from its client-side address, Lethe's
/// from the uplink's), nor is the kernel's ICMP rate limit met (the namespace turns it off).
/// </summary>
internal static class KnownDifference
{
    public static string? Of(RandomFirstPacket packet, Seen lethe, Seen kernel)
    {
        // Before the forward hook: the kernel answers a hop limit running out, even towards a destination never forwarded.
        if (packet.Ttl <= 1 && lethe.Short == "drop/none" && kernel.Short == "drop/time-exceeded")
        {
            return "time exceeded before the forward hook";
        }
        // The input chain lets neighbour discovery reach the host, which the kernel needs to reach IPv6 clients:
        // to any address of its own, the subnet-router anycast its uplink's prefix makes its own included. Neither
        // forwards it: one that left by a device would be a difference of its own, not this one.
        if (packet.Destination is RandomPolicy.Uplink6 or RandomPolicy.UplinkAnycast6 && lethe.Exit == "drop" && kernel.Exit == "drop" && PacketParser.TryParse(packet.Bytes, out var info, out _) &&
            info.Protocol == IpProtocol.IcmpV6 && info.IcmpType is 133 or 135 or 136)
        {
            return "neighbour discovery to the firewall's addresses";
        }
        // nft's transport matches stop at an IPv6 Authentication Header, where Lethe looks behind it.
        if (packet.Authenticated)
        {
            return "transport behind an IPv6 AH";
        }
        // `reject with tcp reset` sends no reset for a SYN carrying the IPv4 record-route or timestamp option.
        if (packet.RecordsRoute && lethe.Exit == "drop" && kernel.Exit == "drop" && lethe.Answer == "reset" && kernel.Answer == "none")
        {
            return "no reset for a SYN with IPv4 record-route or timestamp";
        }
        // A node information query carries no identifier Lethe reads: one such flow per remote behind the uplink's address,
        // where conntrack keys them by their Qtype field as if it were an echo identifier (and its NAT rewrites that field).
        if (lethe.Detail == nameof(DropReason.NatPortsExhausted) && kernel.Exit == "uplink" &&
            PacketParser.TryParse(packet.Bytes, out var query, out _) && query.Protocol == IpProtocol.IcmpV6 && query.IcmpType == IcmpV6Message.NodeInformationQuery)
        {
            return "a second node information query to one remote";
        }
        return null;
    }
}
