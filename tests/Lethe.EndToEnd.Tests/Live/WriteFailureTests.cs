using System.Net;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A packet the kernel will not take from the firewall (its device is down: the write fails with
/// EIO) is counted under its own drop reason, and the firewall carries on forwarding the rest.
/// Runs its own policy and firewall, so the device it takes down touches no other test.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class WriteFailureTests(LiveLab lab)
{
    private const string Policy = "device-down";
    private const string WriteFailed = "lethe_drops_total{reason=\"write-failed\"}";
    private const int Datagrams = 3;

    [LinuxRootFact]
    public async Task datagrams_to_a_client_whose_device_is_down_are_counted_as_write_failed_and_other_flows_go_on()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1,
            [
                $"action=accept dst4={Client2V4}/32 proto=udp dstports={Ports.Echo}",
                $"action=accept proto=udp dstports={Ports.Echo}",
                "action=drop",
            ]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, Policy);
        var before = await net.Metric(WriteFailed);

        net.Client2.Ip("link", "set", net.Devices.Client2, "down");
        using var port = UdpPort.Open(net.Client1, v6: false);
        for (var i = 0; i < Datagrams; i++)
        {
            await port.Send(new IPEndPoint(Client2V4, Ports.Echo), $"to a device that is down {i}");
        }

        var counted = await net.MetricOnce(WriteFailed, value => value >= before + Datagrams);
        Assert.True(counted == before + Datagrams, $"{counted - before} writes counted as failed for {Datagrams} datagrams.\n{net.Describe()}");
        var after = new FlowChecks(net.Describe);
        after.Expect($"c1 UDP -> uplink host {Ports.Echo} after the failed writes", Seen.Echoed, Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
    }
}
