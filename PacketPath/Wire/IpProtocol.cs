namespace Lethe.PacketPath.Wire;

/// <summary>
/// IP protocol and IPv6 next-header numbers (IANA "Assigned Internet Protocol Numbers"). Constants,
/// not an enum, because unknown numbers are normal and <see cref="PacketInfo.Protocol"/> is a byte.
/// </summary>
public static class IpProtocol
{
    public const byte HopByHop = 0;
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Dccp = 33;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte Esp = 50;
    public const byte Authentication = 51;
    public const byte IcmpV6 = 58;
    public const byte NoNextHeader = 59;
    public const byte DestinationOptions = 60;
    public const byte UdpLite = 136;
}
