namespace Lethe.Domain.Rules;

public enum RuleProtocol
{
    Tcp,
    Udp,
    /// <summary>ICMP of the packet's family: ICMPv6 for IPv6 packets, as the Qubes Linux firewall does.</summary>
    Icmp,
}
