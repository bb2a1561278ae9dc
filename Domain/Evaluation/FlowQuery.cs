using System.Net;

namespace Lethe.Domain.Evaluation;

/// <summary>
/// The first packet of a new flow as the rules see it. <paramref name="Protocol"/> is the IP protocol
/// number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, anything else for other protocols).
/// </summary>
public sealed record FlowQuery(IPAddress Destination, byte Protocol, int? DestinationPort = null, int? IcmpType = null)
{
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmp = 1;
    public const byte IcmpV6 = 58;
}
