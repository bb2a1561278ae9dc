using System.Net;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A tunnel a client builds itself across the firewall: VXLAN (UDP 4789) from c2, whose rules
/// accept everything, to the uplink host. Its inner datagram's checksum is left to the device: since
/// Linux 6.17 a TUN device takes that offload for encapsulated packets too, so the firewall reads a
/// virtio-net header asking for a checksum inside the tunnel's payload, past everything it judges
/// and translates. Only the client-to-host direction is checked: the host's tunnel answers from
/// ports no NAT entry knows, as through any masquerading firewall.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class ClientTunnelTests(LiveLab lab)
{
    private const string Device = "lt-vx";
    private static readonly IPAddress ClientInner = IPAddress.Parse("10.200.0.1");
    private static readonly IPAddress HostInner = IPAddress.Parse("10.200.0.2");
    private const string HostInnerMac = "02:00:00:00:c8:02";

    [LinuxRootFact]
    public async Task a_datagram_through_a_clients_vxlan_tunnel_reaches_the_uplink_host()
    {
        var net = await lab.Shared();
        try
        {
            net.Client2.Ip("link", "add", Device, "type", "vxlan", "id", "42", "local", Client2V4.ToString(), "remote", UplinkV4.ToString(), "dstport", "4789");
            net.Client2.Ip("addr", "add", $"{ClientInner}/24", "dev", Device);
            net.Client2.Ip("link", "set", Device, "up");
            // The host's tunnel cannot answer ARP through the NAT: its address is given.
            net.Client2.Ip("neigh", "replace", HostInner.ToString(), "lladdr", HostInnerMac, "dev", Device, "nud", "permanent");
            net.Uplink.Ip("link", "add", Device, "address", HostInnerMac, "type", "vxlan", "id", "42", "local", UplinkV4.ToString(),
                "remote", FirewallV4.ToString(), "dstport", "4789");
            net.Uplink.Ip("addr", "add", $"{HostInner}/24", "dev", Device);
            net.Uplink.Ip("link", "set", Device, "up");
            using var receiver = UdpPort.Open(net.Uplink, new IPEndPoint(HostInner, 0));
            using var sender = UdpPort.Open(net.Client2, new IPEndPoint(ClientInner, 0));

            await sender.Send(new IPEndPoint(HostInner, receiver.Port), "through the tunnel");
            var seen = await receiver.Receive();

            using var http = new HttpClient();
            var page = await http.GetStringAsync($"http://127.0.0.1:{net.MetricsPort}/metrics");
            Assert.True(seen.What.StartsWith("datagram \"through the tunnel\"", StringComparison.Ordinal),
                $"c2's VXLAN tunnel to the uplink host: {seen.What}\n{net.Describe()}\n{page}");
        }
        finally
        {
            Command.TryRun("ip", "-n", net.Client2.Name, "link", "del", Device);
            Command.TryRun("ip", "-n", net.Uplink.Name, "link", "del", Device);
        }
    }
}
