using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Evaluation;

namespace Lethe.Domain.Policies;

/// <summary>
/// What the firewall drops of a client's new flow before it reads any rule (the packet engine's
/// never-forwarded and icmp-cannot-open checks, which the nft ruleset repeats). Publish-time tests
/// go through these first, so that no test passes for traffic no rule can let through.
/// </summary>
public static class ForwardingGates
{
    /// <summary>Why the firewall drops <paramref name="flow"/> whatever the rules say, or null when the rules decide.</summary>
    public static string? DropReason(FlowQuery flow)
    {
        if (IsNeverForwarded(flow.Destination))
        {
            return $"never forwarded: {flow.Destination} is a multicast, broadcast, loopback, unspecified, link-local or IPv4-mapped address";
        }
        if (flow.Protocol is FlowQuery.Icmp or FlowQuery.IcmpV6 && flow.IcmpType is { } type && !IsRequest(flow.Protocol, type))
        {
            return $"ICMP type {type} cannot open a flow: only requests do (echo{(flow.Protocol == FlowQuery.Icmp ? ", timestamp, information, address mask" : ", node information")})";
        }
        return null;
    }

    /// <summary>ICMP echo, timestamp, information and address mask requests; ICMPv6 echo request and node information query.</summary>
    public static bool IsRequest(byte protocol, int type) =>
        protocol == FlowQuery.Icmp ? type is 8 or 13 or 15 or 17 : type is 128 or 139;

    /// <summary>Multicast, limited broadcast, 0/8, loopback and link-local for IPv4; multicast, ::, ::1, ::ffff:0:0/96 and fe80::/10 for IPv6.</summary>
    public static bool IsNeverForwarded(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return bytes[0] is >= 224 and <= 239 or 0 or 127
                || (bytes[0] == 169 && bytes[1] == 254)
                || (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255);
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return true;
        }
        address.TryWriteBytes(bytes, out _);
        var allZeroBefore15 = !bytes[..15].ContainsAnyExcept((byte)0);
        return bytes[0] == 0xFF || (allZeroBefore15 && bytes[15] <= 1) || (bytes[0] == 0xFE && (bytes[1] & 0xC0) == 0x80);
    }
}
