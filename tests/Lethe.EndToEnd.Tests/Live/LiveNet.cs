using System.Net;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// The addresses of the live topology, all TEST-NET: clients in 192.0.2.0/24 and 2001:db8:1::/64,
/// the uplink link in 198.51.100.0/24 and 2001:db8:2::/64, and 203.0.113.7 / 2001:db8:3::7 on the
/// uplink host as "somewhere else on the internet".
/// </summary>
public static class LiveNet
{
    public const string Client1 = "c1";
    public const string Client2 = "c2";

    public static readonly IPAddress Client1V4 = IPAddress.Parse("192.0.2.11");
    public static readonly IPAddress Client1V6 = IPAddress.Parse("2001:db8:1::11");
    public static readonly IPAddress Client2V4 = IPAddress.Parse("192.0.2.12");
    public static readonly IPAddress Client2V6 = IPAddress.Parse("2001:db8:1::12");

    /// <summary>The firewall's own uplink addresses: clients are masqueraded behind them.</summary>
    public static readonly IPAddress FirewallV4 = IPAddress.Parse("198.51.100.2");
    public static readonly IPAddress FirewallV6 = IPAddress.Parse("2001:db8:2::2");

    /// <summary>The uplink host, on the link.</summary>
    public static readonly IPAddress UplinkV4 = IPAddress.Parse("198.51.100.1");
    public static readonly IPAddress UplinkV6 = IPAddress.Parse("2001:db8:2::1");

    /// <summary>Further addresses of the uplink host, beyond the link: the rules do not open them.</summary>
    public static readonly IPAddress ElsewhereV4 = IPAddress.Parse("203.0.113.7");
    public static readonly IPAddress ElsewhereV6 = IPAddress.Parse("2001:db8:3::7");

    public static IPAddress Client1Address(bool v6) => v6 ? Client1V6 : Client1V4;

    public static IPAddress Client2Address(bool v6) => v6 ? Client2V6 : Client2V4;

    public static IPAddress FirewallAddress(bool v6) => v6 ? FirewallV6 : FirewallV4;

    public static IPAddress Uplink(bool v6) => v6 ? UplinkV6 : UplinkV4;

    public static IPAddress Elsewhere(bool v6) => v6 ? ElsewhereV6 : ElsewhereV4;

    public static string Family(bool v6) => v6 ? "IPv6" : "IPv4";

    /// <summary>Ports the uplink host serves. Every port a test probes has a listener, so a packet the firewall wrongly lets through shows as an answer, never as the host's own refusal.</summary>
    public static class Ports
    {
        public const int Echo = 7000;
        public const int Bulk = 7001;
        public const int Denied = 7002;
        public const int Rejected = 7003;
        public const int BetweenClients = 7100;
        public const int NotBetweenClients = 7101;
    }
}
