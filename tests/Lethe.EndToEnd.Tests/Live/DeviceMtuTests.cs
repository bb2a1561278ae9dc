using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// The firewall creates its devices, and the operator configures them where they end up, MTU
/// included, after the firewall has booted. The MTU it answers "fragmentation needed" / "packet too
/// big" with must be the device's own as it is now, per device. Runs its own policy and firewall,
/// so the MTUs it lowers touch no other test.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class DeviceMtuTests(LiveLab lab)
{
    private const string Policy = "device-mtu";
    private const int Lowered = 1280;
    private const int IcmpV4Overhead = 28;
    private const int IcmpV6Overhead = 48;
    private static readonly TimeSpan MtuWatchInterval = TimeSpan.FromSeconds(1);
    /// <summary>CAP_NET_ADMIN is capability 12.</summary>
    private const string NetAdminOnly = "0000000000001000";

    [LinuxRootFact]
    public async Task mtus_set_on_devices_after_boot_are_followed_per_device_and_packets_too_big_for_them_are_answered_with_that_mtu()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept"]),
            new LiveClient(Client2, LivePolicy.Addresses2, [$"action=accept dst4={Client1V4}/32 proto=icmp", "action=accept"]));
        // CAP_NET_ADMIN alone, as compose.yaml runs the firewall: enough to create its devices and to follow their MTUs.
        await using var net = await LiveTopology.Start(lab.Host, Policy, onlyCapability: "net_admin");
        Assert.Contains($"CapEff:\t{NetAdminOnly}", File.ReadAllLines($"/proc/{net.Firewall!.Id}/status"));
        Assert.Contains("idle polling off: returning from SCHED_IDLE needs CAP_SYS_NICE", net.Firewall.Out);

        net.Uplink.Ip("link", "set", net.Devices.Uplink, "mtu", $"{Lowered}");
        net.Client1.Ip("link", "set", net.Devices.Client1, "mtu", $"{Lowered}");
        foreach (var device in new[] { net.Devices.Uplink, net.Devices.Client1 })
        {
            var mtu = await net.MetricOnce(MtuMetric(device), value => value == Lowered, MtuWatchInterval);
            Assert.True(mtu == Lowered, $"the firewall reports MTU {mtu} for {device} after it was set to {Lowered}.\n{net.Describe()}");
        }
        Assert.Equal(1500, await net.Metric(MtuMetric(net.Devices.Client2)));
        Assert.Contains($"device {net.Devices.Uplink}: MTU 1500 -> {Lowered}", net.Describe());

        // Client 2's device keeps 1500, so its big pings reach the firewall, which must answer with the MTU of the device each would leave by.
        var checks = new[]
        {
            ("c2 -> c1, 1,400 bytes with DF", Ping(net.Client2, Client1V4, 1400 - IcmpV4Overhead), $"Frag needed and DF set (mtu = {Lowered})"),
            ("c2 -> uplink host, 1,400 bytes with DF", Ping(net.Client2, UplinkV4, 1400 - IcmpV4Overhead), $"Frag needed and DF set (mtu = {Lowered})"),
            ("c2 -> uplink host over IPv6, 1,400 bytes", Ping(net.Client2, UplinkV6, 1400 - IcmpV6Overhead), $"Packet too big: mtu={Lowered}"),
        };
        foreach (var (what, ping, expected) in checks)
        {
            var output = await ping;
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"{what}: expected \"{expected}\", ping printed:\n{output}\n{net.Describe()}");
        }

        // What fits the lowered MTUs still passes both ways.
        var fitting = new[]
        {
            ("c2 -> c1, 1,280 bytes", Ping(net.Client2, Client1V4, Lowered - IcmpV4Overhead)),
            ("c2 -> uplink host, 1,280 bytes", Ping(net.Client2, UplinkV4, Lowered - IcmpV4Overhead)),
            ("c2 -> uplink host over IPv6, 1,280 bytes", Ping(net.Client2, UplinkV6, Lowered - IcmpV6Overhead)),
        };
        foreach (var (what, ping) in fitting)
        {
            var output = await ping;
            Assert.True(output.Contains(" 1 received", StringComparison.Ordinal), $"{what}: no reply; ping printed:\n{output}\n{net.Describe()}");
        }
    }

    private static string MtuMetric(string device) => $"lethe_device_mtu{{device=\"{device}\"}}";

    /// <summary>One ping of <paramref name="payload"/> bytes that may not be fragmented (iputils' -M do), as a user would type it; returns what it printed.</summary>
    private static Task<string> Ping(NetworkNamespace from, IPAddress to, int payload) => Task.Run(() =>
    {
        var family = to.AddressFamily == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        var (_, output) = Command.Execute("ip", "netns", "exec", from.Name, "ping", family, "-n", "-c", "1", "-M", "do",
            "-s", $"{payload}", "-W", ((int)Probe.Wait.TotalSeconds).ToString(), to.ToString());
        return output;
    });
}
