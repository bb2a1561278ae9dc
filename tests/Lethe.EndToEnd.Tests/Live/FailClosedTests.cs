using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Killing the firewall stops all forwarding: its devices go with it. Starting it again is a fresh
/// boot from the newest snapshot with empty tables: the old flows are forgotten, new ones work.
/// Runs its own policy and firewall, so the kill touches no other test.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class FailClosedTests(LiveLab lab)
{
    private const string Policy = "restart";
    private static readonly bool[] Families = [false, true];

    [LinuxRootFact]
    public async Task a_killed_firewall_forwards_nothing_and_a_restart_boots_the_newest_snapshot_with_no_memory_of_old_flows()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1,
            [
                $"action=accept dst4={UplinkV4}/32 proto=tcp dstports={Ports.Echo}",
                $"action=accept dst6={UplinkV6}/128 proto=tcp dstports={Ports.Echo}",
                $"action=accept proto=udp dstports={Ports.Echo}",
                "action=drop",
            ]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, Policy);
        var echo = net.UplinkUdp[Ports.Echo];
        var old = new Dictionary<bool, (UdpPort Port, IPEndPoint Translated, TcpSession Session)>();
        try
        {
            // Flows of the first boot: a TCP connection and a UDP exchange per family.
            var first = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                var server = new IPEndPoint(Uplink(v6), Ports.Echo);
                var session = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Echo, $"{Family(v6)} c1 -> uplink host TCP {Ports.Echo}");
                var port = UdpPort.Open(net.Client1, v6);
                var seen = echo.Senders.Count;
                await port.Send(server, "first boot");
                first.Expect($"first boot: {Family(v6)} c1 UDP -> uplink host {Ports.Echo}, the answer back", Seen.Datagram("first boot", server), await port.Receive());
                first.Expect($"first boot: {Family(v6)} established TCP {Ports.Echo}", Seen.Echoed, session.Echo("first boot"));
                var translated = await echo.SenderAfter(seen, v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
                old[v6] = (port, translated ?? new IPEndPoint(FirewallAddress(v6), 0), session);
                first.Expect($"first boot: {Family(v6)} the uplink host saw c1's UDP from the firewall's address",
                    new Seen(FirewallAddress(v6).ToString()), new Seen(translated?.Address.ToString() ?? "nothing"));
            }
            await first.Verify();

            await net.KillFirewall();
            await AssertDevicesGone(net);
            var dead = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                dead.ExpectNot($"firewall killed: {Family(v6)} established TCP {Ports.Echo}", Seen.Echoed, old[v6].Session.Echo("while dead"));
                dead.ExpectNot($"firewall killed: {Family(v6)} new UDP to the uplink host", Seen.Echoed, Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Echo));
                dead.ExpectNot($"firewall killed: {Family(v6)} ping the uplink host", Seen.PingReply, Probe.Ping(net.Client1, Uplink(v6)));
            }
            await dead.Verify();

            // Published while the firewall is down: the restart must boot this version, not the one it ran before.
            await PublishedPolicy.Send(http, $"/policies/{Policy}/clients/{Client1}/rules",
                new { rule = $"action=accept proto=tcp dstports={Ports.Bulk}", position = 0, reason = "bulk too" });
            await PublishedPolicy.Send(http, $"/policies/{Policy}/publish", new { reason = "v2 while the firewall is down" });
            await net.Boot();
            Assert.Contains($"booted policy {Policy} version 2", net.Firewall!.Out);

            var again = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                // Exactly the uplink host's answer on the old flow: a tracked reply before the kill, unsolicited now.
                await echo.SendFrom(Uplink(v6), old[v6].Translated, "reply to a flow of the first boot");
            }
            foreach (var v6 in Families)
            {
                again.Expect($"restarted: {Family(v6)} new UDP to the uplink host", Seen.Echoed, Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Echo));
                again.Expect($"restarted: {Family(v6)} new TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Echo));
                again.Expect($"restarted: {Family(v6)} new TCP {Ports.Bulk} (opened by version 2 only)", Seen.Echoed, Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Bulk));
            }
            await again.Verify();

            var forgotten = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                await echo.SendFrom(Uplink(v6), old[v6].Translated, "reply to a flow of the first boot, again");
                forgotten.Expect($"restarted: {Family(v6)} uplink host -> {old[v6].Translated} (the first boot's UDP flow), at c1's old socket",
                    Seen.Nothing, old[v6].Port.Receive());
            }
            await forgotten.Verify();
        }
        finally
        {
            foreach (var (port, _, session) in old.Values)
            {
                port.Dispose();
                session.Dispose();
            }
        }
    }

    [LinuxRootFact]
    public async Task sigterm_stops_the_firewall_cleanly_and_its_devices_go_with_it()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, "stop",
            new LiveClient(Client1, LivePolicy.Addresses1, [$"action=accept proto=tcp dstports={Ports.Echo}"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, "stop");
        var checks = new FlowChecks(net.Describe);
        checks.Expect($"before SIGTERM: IPv4 c1 -> uplink host TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await checks.Verify();

        net.Firewall!.Terminate();

        Assert.Equal(0, await net.Firewall.Exit(TimeSpan.FromSeconds(15)));
        Assert.Contains("stopped; all state was in memory and is gone", net.Firewall.Out);
        await AssertDevicesGone(net);
    }

    [LinuxRootFact]
    public async Task a_device_deleted_under_a_worker_stops_the_whole_firewall_with_exit_1()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, "device-lost",
            new LiveClient(Client1, LivePolicy.Addresses1, [$"action=accept proto=tcp dstports={Ports.Echo}"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, "device-lost");
        var before = new FlowChecks(net.Describe);
        before.Expect($"before: IPv4 c1 -> uplink host TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await before.Verify();

        // Client 2's device goes; client 1's and the uplink's are fine, yet nothing may go on with a queue unserved.
        net.Client2.Ip("link", "del", net.Devices.Client2);

        Assert.Equal(1, await net.Firewall!.Exit(TimeSpan.FromSeconds(15)));
        Assert.Contains("a worker stopped, so the firewall stops (closed)", net.Firewall.Err);
        Assert.Contains("the device is gone (deleted", net.Firewall.Err);
        await AssertDevicesGone(net);
        var after = new FlowChecks(net.Describe);
        after.ExpectNot($"after: IPv4 c1 -> uplink host TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
    }

    /// <summary>The firewall's devices were not persistent: the kernel removes them when the process ends, however it ends.</summary>
    private static async Task AssertDevicesGone(LiveTopology net)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (net.RemainingDevices().Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        var left = net.RemainingDevices().ToList();
        Assert.True(left.Count == 0, $"the stopped firewall's devices still exist: {string.Join(", ", left)} (they must not outlive it: fail closed)\n{net.Describe()}");
    }
}
