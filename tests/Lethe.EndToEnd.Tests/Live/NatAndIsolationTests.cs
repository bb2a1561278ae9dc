using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>Masquerade, connection tracking and client isolation, seen from the hosts on either side of the live firewall.</summary>
[Collection(LiveCollection.Name)]
public sealed class NatAndIsolationTests(LiveLab lab)
{
    private static readonly bool[] Families = [false, true];

    [LinuxRootFact]
    public async Task the_uplink_host_sees_only_the_firewalls_address()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        foreach (var v6 in Families)
        {
            checks.Expect($"{Family(v6)} c1 -> uplink host TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Echo));
            checks.Expect($"{Family(v6)} c1 -> uplink host UDP {Ports.Echo}", Seen.Echoed, Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Echo));
            checks.Expect($"{Family(v6)} c2 -> uplink host TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client2, Uplink(v6), Ports.Echo));
        }
        await checks.Verify();

        // Everything that ever reached the uplink host, from any test on this firewall, must come from the firewall's address.
        var sources = net.UplinkTcp.Values.SelectMany(s => s.Accepted.Select(a => ("TCP", a.Peer)))
            .Concat(net.UplinkUdp.Values.SelectMany(s => s.Senders.Select(p => ("UDP", p))))
            .ToList();
        var foreign = sources.Where(s => !s.Item2.Address.Equals(FirewallAddress(s.Item2.AddressFamily == AddressFamily.InterNetworkV6))).ToList();
        Assert.True(foreign.Count == 0,
            "the uplink host saw client traffic that was not masqueraded behind the firewall's address:\n" +
            string.Join('\n', foreign.Select(f => $"  {f.Item1} from {f.Item2}")));
        foreach (var v6 in Families)
        {
            Assert.True(sources.Any(s => s.Item2.Address.Equals(FirewallAddress(v6))), $"no {Family(v6)} flow reached the uplink host from {FirewallAddress(v6)}");
        }
    }

    [LinuxRootFact]
    public async Task replies_pass_only_for_the_tracked_flow()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        await Task.WhenAll(Families.Select(v6 => TrackedFlow(net, v6, checks)));
        await checks.Verify();
    }

    /// <summary>
    /// A client's UDP socket talks to the uplink host's echo; then datagrams to the same translated
    /// port from other sources must not reach it, while the echo's answers still do.
    /// </summary>
    private static async Task TrackedFlow(LiveTopology net, bool v6, FlowChecks checks)
    {
        var family = Family(v6);
        var echo = net.UplinkUdp[Ports.Echo];
        var server = new IPEndPoint(Uplink(v6), Ports.Echo);
        using var client = UdpPort.Open(net.Client1, v6);
        var before = echo.Senders.Count;

        await client.Send(server, "one");
        checks.Expect($"{family} c1 UDP -> uplink host {Ports.Echo}, the answer back", Seen.Datagram("one", server), await client.Receive());
        var translated = await echo.SenderAfter(before, v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        if (translated is null)
        {
            Assert.Fail($"{family}: the uplink host's UDP echo saw nothing from c1");
        }

        // Same destination (the firewall's address and the flow's port), wrong source: the server's port on
        // another address, another port of the server's address, and any port.
        await echo.SendFrom(Elsewhere(v6), translated, "from another address");
        await net.UplinkUdp[Ports.Denied].SendFrom(Uplink(v6), translated, "from another server port");
        using (var anyPort = UdpPort.Open(net.Uplink, v6))
        {
            await anyPort.Send(translated, "from another port");
        }
        checks.Expect($"{family} uplink host -> {translated} from other ports (not the tracked flow's), at c1", Seen.Nothing, await client.Receive());

        await client.Send(server, "two");
        checks.Expect($"{family} c1 UDP -> uplink host {Ports.Echo} again, the answer back", Seen.Datagram("two", server), await client.Receive());
    }

    [LinuxRootFact]
    public async Task unsolicited_traffic_from_the_uplink_host_to_a_client_is_dropped()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        await Task.WhenAll(Families.Select(async v6 =>
        {
            using var client = UdpPort.Open(net.Client1, v6);
            using var uplink = UdpPort.Open(net.Uplink, v6);
            // The uplink host routes the clients' networks to the firewall, so this does reach the firewall.
            await uplink.Send(new IPEndPoint(Client1Address(v6), client.Port), "unsolicited");
            await net.UplinkUdp[Ports.Echo].SendFrom(Uplink(v6), new IPEndPoint(Client1Address(v6), client.Port), "unsolicited from a server port");
            checks.Expect($"{Family(v6)} uplink host -> c1 {Client1Address(v6)}:{client.Port} UDP, unsolicited, at c1", Seen.Nothing, await client.Receive());
        }));
        await checks.Verify();
    }

    [LinuxRootFact]
    public async Task clients_reach_each_other_only_where_a_rule_says_so()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        var allowed = net.Client2Tcp[Ports.BetweenClients];
        var before = allowed.Accepted.Count;
        foreach (var v6 in Families)
        {
            var family = Family(v6);
            checks.Expect($"{family} c1 -> c2 {Client2Address(v6)} TCP {Ports.BetweenClients} (a rule names c2's address and this port)", Seen.Echoed,
                Probe.TcpEcho(net.Client1, Client2Address(v6), Ports.BetweenClients));
            checks.Expect($"{family} c1 -> c2 TCP {Ports.NotBetweenClients} (only a catch-all accepts this port, and it never opens another client)",
                Seen.AdminProhibited(v6), Probe.TcpEcho(net.Client1, Client2Address(v6), Ports.NotBetweenClients));
            checks.Expect($"{family} c2 -> c1 {Client1Address(v6)} TCP {Ports.BetweenClients} (c2's accept-all is a catch-all)", Seen.AdminProhibited(v6),
                Probe.TcpEcho(net.Client2, Client1Address(v6), Ports.BetweenClients));
            checks.Expect($"{family} c2 -> uplink host TCP {Ports.Echo} (c2's accept-all does open the uplink)", Seen.Echoed,
                Probe.TcpEcho(net.Client2, Uplink(v6), Ports.Echo));
        }
        await checks.Verify();

        // Between clients nothing is translated: c2 sees c1's own address.
        var peers = allowed.Accepted.Skip(before).Select(a => a.Peer.Address).ToList();
        foreach (var v6 in Families)
        {
            Assert.True(peers.Contains(Client1Address(v6)),
                $"{Family(v6)}: c2 should see c1's own address {Client1Address(v6)} (untranslated), saw: {string.Join(", ", peers)}");
        }
    }
}
