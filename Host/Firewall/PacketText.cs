using System.Globalization;
using System.Text;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>How the drop log and the flow listing write a protocol and an end of a packet.</summary>
public static class PacketText
{
    public static string Protocol(byte protocol, bool v6) => protocol switch
    {
        IpProtocol.Tcp => "tcp",
        IpProtocol.Udp => "udp",
        IpProtocol.Icmp => "icmp",
        IpProtocol.IcmpV6 => "icmpv6",
        _ => (v6 ? "ipv6 next header " : "ip protocol ") + protocol.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>ADDRESS:PORT, an IPv6 address in brackets as in a URL, so that its colons are not taken for the port's.</summary>
    public static StringBuilder AppendWithPort(StringBuilder text, NetAddress address, ushort port) =>
        (address.IsV6 ? text.Append('[').Append(address.ToString()).Append(']') : text.Append(address.ToString()))
            .Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
}
