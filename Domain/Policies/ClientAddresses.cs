using System.Net;
using System.Net.Sockets;

namespace Lethe.Domain.Policies;

/// <summary>Which addresses a client may be known by: one a packet can come from and be answered at, written one way only.</summary>
public static class ClientAddresses
{
    /// <summary>Why <paramref name="address"/> cannot identify a client, or null when it can.</summary>
    /// <remarks>
    /// The firewall never forwards to multicast, broadcast, loopback, unspecified or link-local
    /// addresses, so a client there could send but never be answered. An IPv4-mapped IPv6 address
    /// is the IPv4 address written another way: two clients could hold one address under two spellings
    /// (and as IPv6 it is never forwarded either, to or from).
    /// </remarks>
    public static string? Unusable(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                return $"it is {address.MapToIPv4()} written as IPv6; give the IPv4 address";
            }
            if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback))
            {
                return "unspecified and loopback addresses are never forwarded to";
            }
            if (address.IsIPv6Multicast || address.IsIPv6LinkLocal)
            {
                return "multicast and link-local addresses are never forwarded to";
            }
            return null;
        }
        var bytes = address.GetAddressBytes();
        return bytes[0] switch
        {
            0 or 127 => "unspecified and loopback addresses are never forwarded to",
            >= 224 and <= 239 => "multicast addresses are never forwarded to",
            255 when bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255 => "the broadcast address is never forwarded to",
            169 when bytes[1] == 254 => "link-local addresses are never forwarded to",
            _ => null,
        };
    }
}
