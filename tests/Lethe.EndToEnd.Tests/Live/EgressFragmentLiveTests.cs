using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A client whose link has a larger MTU than the uplink (a VPN uplink at 1280, say) sends datagrams
/// without DF: the firewall must cut them into fragments that fit the uplink, as a router does, and
/// the uplink host must reassemble them whole. Runs its own policy and firewall, so the MTU it
/// lowers touches no other test.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class EgressFragmentLiveTests(LiveLab lab)
{
    private const string Policy = "egress-fragments";
    private const int UplinkMtu = 1280;
    private static readonly TimeSpan MtuWatchInterval = TimeSpan.FromSeconds(1);

    [LinuxRootFact]
    public async Task datagrams_without_df_larger_than_the_uplinks_mtu_leave_in_fragments_the_uplink_host_reassembles()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept"]),
            new LiveClient(Client2, LivePolicy.Addresses2, ["action=accept"]));
        await using var net = await LiveTopology.Start(lab.Host, Policy);
        net.Uplink.Ip("link", "set", net.Devices.Uplink, "mtu", $"{UplinkMtu}");
        var mtu = await net.MetricOnce($"lethe_device_mtu{{device=\"{net.Devices.Uplink}\"}}", value => value == UplinkMtu, MtuWatchInterval);
        Assert.True(mtu == UplinkMtu, $"the firewall reports MTU {mtu} for the uplink after it was set to {UplinkMtu}.\n{net.Describe()}");
        var reassembledBefore = ReassembledIn(net.Uplink);

        // 1,428 bytes leave the client whole (its link takes 1,500); 4,000 leave it in fragments of
        // 1,500, each of which but the last is too big for the uplink and must be cut again.
        var checks = new FlowChecks(net.Describe);
        checks.Expect($"c1 -> uplink host UDP {Ports.Echo}, 1,400 bytes without DF, the echo back whole", Seen.Echoed,
            await Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo, 1400, dontFragment: false));
        checks.Expect($"c1 -> uplink host UDP {Ports.Echo}, 4,000 bytes without DF, the echo back whole", Seen.Echoed,
            await Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo, 4000, dontFragment: false));
        await checks.Verify();

        var reassembled = ReassembledIn(net.Uplink) - reassembledBefore;
        Assert.True(reassembled >= 2, $"the uplink host reassembled {reassembled} datagrams (IpReasmOKs), where the firewall should have cut both.\n{net.Describe()}");
        var fragmented = await net.MetricOnce("lethe_fragmented_packets_total", value => value >= 3);
        Assert.True(fragmented >= 3, $"the firewall counts {fragmented} packets cut into fragments, expected the 1,400-byte datagram and two of the 4,000-byte one's fragments.\n{net.Describe()}");
    }

    /// <summary>The namespace's IpReasmOKs (/proc/net/snmp): datagrams its kernel put back together from fragments.</summary>
    private static long ReassembledIn(NetworkNamespace ns)
    {
        var (_, snmp) = Command.Execute("ip", "netns", "exec", ns.Name, "cat", "/proc/net/snmp");
        var ip = snmp.Split('\n').Where(l => l.StartsWith("Ip: ", StringComparison.Ordinal)).ToArray();
        var names = ip[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = ip[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "ReasmOKs")], CultureInfo.InvariantCulture);
    }
}
