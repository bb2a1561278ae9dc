using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// A kernel firewall of the test's own: a firewall namespace forwarding between a client namespace
/// and an outside one over veth pairs, with a rendered ruleset loaded, to hold its verdicts to Lethe's
/// with real sockets. Everything lives in the three namespaces, which go with it.
/// </summary>
internal sealed class NftLiveLab : IDisposable
{
    public const string ClientV4 = "10.137.0.5";
    public const string ClientV6 = "fd00:137::5";
    public const string OutsideV4 = "198.51.100.1";
    public const string OutsideV6 = "2001:db8:2::1";
    public const string FirewallUplinkV4 = "198.51.100.2";

    public NftLiveLab()
    {
        try
        {
            foreach (var ns in new[] { Firewall, Client, Outside })
            {
                Command.Run("ip", "netns", "exec", ns.Name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
            }
            Command.Run("ip", "link", "add", ClientLink, "netns", Firewall.Name, "type", "veth", "peer", "name", "eth0", "netns", Client.Name);
            Command.Run("ip", "link", "add", Uplink, "netns", Firewall.Name, "type", "veth", "peer", "name", "eth0", "netns", Outside.Name);
            Outside.Ip("link", "set", "eth0", "up");
            Outside.Ip("addr", "add", $"{OutsideV4}/24", "dev", "eth0");
            Outside.Ip("addr", "add", $"{OutsideV6}/64", "dev", "eth0", "nodad");
            // IPv6 leaves untranslated when only an IPv4 --uplink-address is given.
            Outside.Ip("-6", "route", "add", "fd00:137::/64", "via", "2001:db8:2::2");
            Firewall.Ip("addr", "add", $"{FirewallUplinkV4}/24", "dev", Uplink);
            Firewall.Ip("addr", "add", "2001:db8:2::2/64", "dev", Uplink, "nodad");
            Firewall.Ip("addr", "add", "10.137.0.1/32", "dev", ClientLink);
            Firewall.Ip("addr", "add", "fd00:137::1/128", "dev", ClientLink, "nodad");
            foreach (var link in new[] { "lo", Uplink, ClientLink })
            {
                Firewall.Ip("link", "set", link, "up");
            }
            Firewall.Ip("route", "add", $"{ClientV4}/32", "dev", ClientLink);
            Firewall.Ip("route", "add", $"{ClientV6}/128", "dev", ClientLink);
            Command.Run("ip", "netns", "exec", Firewall.Name, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
            Client.Ip("link", "set", "lo", "up");
            Client.Ip("link", "set", "eth0", "up");
            Client.Ip("addr", "add", $"{ClientV4}/32", "dev", "eth0");
            Client.Ip("route", "add", "10.137.0.1", "dev", "eth0");
            Client.Ip("route", "add", "default", "via", "10.137.0.1");
            Client.Ip("addr", "add", $"{ClientV6}/128", "dev", "eth0", "nodad");
            Client.Ip("route", "add", "fd00:137::1", "dev", "eth0");
            Client.Ip("-6", "route", "add", "default", "via", "fd00:137::1");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace Firewall { get; } = NetworkNamespace.Create();

    public NetworkNamespace Client { get; } = NetworkNamespace.Create();

    public NetworkNamespace Outside { get; } = NetworkNamespace.Create();

    /// <summary>The client's link on the firewall's side (veth names live in the firewall namespace only).</summary>
    public string ClientLink { get; } = "vif" + Random.Shared.Next(0x10000, 0xFFFFF).ToString("x");

    public string Uplink { get; } = "up" + Random.Shared.Next(0x10000, 0xFFFFF).ToString("x");

    public void Load(string script) => NftLoad.Into(Firewall, script);

    public void Dispose()
    {
        Client.Dispose();
        Outside.Dispose();
        Firewall.Dispose();
    }
}
