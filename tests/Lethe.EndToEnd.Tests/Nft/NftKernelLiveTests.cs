using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Lethe.EndToEnd.Tests.Live;
using Lethe.Firewall.Nft;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Nft.NftScripts;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>The rendered ruleset loaded into a kernel firewall of the test's own, with real sockets, against what Lethe does.</summary>
public sealed class NftKernelLiveTests
{
    /// <summary>The lab with the ruleset of one client, work, whose only rule is <c>action=accept</c>.</summary>
    private static NftLiveLab AcceptAllLab(bool silent = false)
    {
        Assert.Null(NftCheck.WhyNot());
        var lab = new NftLiveLab();
        try
        {
            lab.Load(NftRenderer.Render(
                Policy(("work", [NftLiveLab.ClientV4, NftLiveLab.ClientV6], [("r-all", "action=accept")])), Wired(lab, silent)));
            return lab;
        }
        catch
        {
            lab.Dispose(); // its namespaces go even when the ruleset does not load
            throw;
        }
    }

    private static NftOptions Wired(NftLiveLab lab, bool silent = false) => new()
    {
        NowUnix = Now,
        UplinkInterface = lab.Uplink,
        ClientInterfaces = new Dictionary<string, IReadOnlyList<string>> { ["work"] = [lab.ClientLink] },
        UplinkV4 = IPAddress.Parse(NftLiveLab.FirewallUplinkV4),
        SilentDrop = silent,
    };

    [LinuxRootTheory]
    [InlineData(NftLiveLab.FirewallUplinkV4, false)]
    [InlineData("10.137.0.1", false)]
    [InlineData("fd00:137::1", false)]
    [InlineData(NftLiveLab.FirewallUplinkV4, true)]
    public async Task a_clients_connection_to_the_firewall_host_itself_is_refused_as_lethe_refuses_it(string address, bool silent)
    {
        // Lethe: addressed-to-firewall, answered as a drop rule is whatever the rules say (any service of the host: sshd, say).
        using var lab = AcceptAllLab(silent);
        var target = IPAddress.Parse(address);
        using var service = TcpEcho.Start(lab.Firewall, 7000);
        using var outsideService = TcpEcho.Start(lab.Outside, 7000);

        var seen = await Probe.TcpEcho(lab.Client, target, 7000);
        var forwarded = await Probe.TcpEcho(lab.Client, IPAddress.Parse(target.AddressFamily == AddressFamily.InterNetwork ? NftLiveLab.OutsideV4 : NftLiveLab.OutsideV6), 7000);

        Assert.Equal(silent ? Seen.Nothing : Seen.AdminProhibited(target.AddressFamily == AddressFamily.InterNetworkV6), seen);
        Assert.Equal(Seen.Echoed, forwarded);
    }

    [LinuxRootTheory]
    [InlineData(NftLiveLab.OutsideV4, NftLiveLab.FirewallUplinkV4)]
    [InlineData(NftLiveLab.OutsideV6, "2001:db8:2::2")]
    public async Task a_client_cannot_answer_the_hosts_own_connection_from_the_address_the_host_asked(string outside, string host)
    {
        // Lethe drops a client's packet from an address not its own (spoofed-client-source) before anything else.
        using var lab = AcceptAllLab();
        var remote = IPAddress.Parse(outside);
        var v6 = remote.AddressFamily == AddressFamily.InterNetworkV6;
        using var server = UdpPort.Open(lab.Outside, new IPEndPoint(remote, 7000));
        using var hostSocket = UdpPort.Open(lab.Firewall, new IPEndPoint(IPAddress.Parse(host), 0));
        // The host's own lookup (a dsthost name, say): conntrack now holds it as established once answered.
        await hostSocket.Send(new IPEndPoint(remote, 7000), "query");
        Assert.Equal(Seen.Datagram("query", new IPEndPoint(IPAddress.Parse(host), hostSocket.Port)), await server.Receive());
        await server.Send(new IPEndPoint(IPAddress.Parse(host), hostSocket.Port), "answer");
        Assert.Equal(Seen.Datagram("answer", new IPEndPoint(remote, 7000)), await hostSocket.Receive());
        // The client takes the remote's address and port and answers in its place.
        lab.Client.Ip(v6 ? ["addr", "add", outside + "/128", "dev", "lo", "nodad"] : ["addr", "add", outside + "/32", "dev", "lo"]);
        using var forger = UdpPort.Open(lab.Client, new IPEndPoint(remote, 7000));

        await forger.Send(new IPEndPoint(IPAddress.Parse(host), hostSocket.Port), "forged answer");

        Assert.Equal(Seen.Nothing, await hostSocket.Receive());
    }

    [LinuxRootTheory]
    [InlineData(NftLiveLab.ClientV4, NftLiveLab.OutsideV4, NftLiveLab.FirewallUplinkV4)]
    [InlineData(NftLiveLab.ClientV6, NftLiveLab.OutsideV6, "2001:db8:2::2")]
    public async Task a_client_cannot_break_the_hosts_own_connection_with_an_error_about_it(string client, string outside, string host)
    {
        // Lethe takes an ICMP error about a flow only from one of its ends; the client is no end of the host's own.
        using var lab = AcceptAllLab();
        var remote = IPAddress.Parse(outside);
        var v6 = remote.AddressFamily == AddressFamily.InterNetworkV6;
        using var server = UdpPort.Open(lab.Outside, new IPEndPoint(remote, 7000));
        using var hostSocket = lab.Firewall.Enter(() => new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        hostSocket.Bind(new IPEndPoint(IPAddress.Parse(host), 0));
        await hostSocket.ConnectAsync(new IPEndPoint(remote, 7000));
        var hostPort = ((IPEndPoint)hostSocket.LocalEndPoint!).Port;
        await hostSocket.SendAsync("query"u8.ToArray());
        Assert.Equal(Seen.Datagram("query", new IPEndPoint(IPAddress.Parse(host), hostPort)), await server.Receive());
        // Port unreachable "from" the client, quoting the host's query as it left.
        var quoted = Lethe.PacketPath.Tests.Packets.Udp(host, outside, (ushort)hostPort, 7000, payload: 5);
        var error = Lethe.PacketPath.Tests.Packets.IcmpError(client, host, v6 ? (byte)1 : (byte)3, v6 ? (byte)4 : (byte)3, quoted);
        using var raw = lab.Client.Enter(() => new Socket(remote.AddressFamily, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp));

        await raw.SendToAsync(error.AsMemory(v6 ? 40 : 20), SocketFlags.None, new IPEndPoint(IPAddress.Parse(host), 0));
        await Task.Delay(500);
        await server.Send(new IPEndPoint(IPAddress.Parse(host), hostPort), "answer");

        var buffer = new byte[64];
        using var wait = new CancellationTokenSource(Probe.Wait);
        var seen = await Task.Run(async () =>
        {
            try
            {
                var n = await hostSocket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode.ToString();
            }
        });
        Assert.Equal("answer", seen);
    }

    [LinuxRootFact]
    public async Task a_rule_stops_opening_flows_when_it_expires_as_in_lethe()
    {
        Assert.Null(NftCheck.WhyNot());
        using var lab = new NftLiveLab();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var expire = now + 3;
        lab.Load(NftRenderer.Render(Policy(("work", [NftLiveLab.ClientV4, NftLiveLab.ClientV6],
            [("r-echo", $"action=accept proto=tcp dstports=7000 expire={expire}")])), Wired(lab) with { NowUnix = now }));
        using var service = TcpEcho.Start(lab.Outside, 7000);
        var outside = IPAddress.Parse(NftLiveLab.OutsideV4);

        var before = await Probe.TcpEcho(lab.Client, outside, 7000);
        await Task.Delay(DateTimeOffset.FromUnixTimeSeconds(expire + 1) - DateTimeOffset.UtcNow);
        var after = await Probe.TcpEcho(lab.Client, outside, 7000);

        Assert.Equal(Seen.Echoed, before);
        Assert.Equal(Seen.AdminProhibited(false), after);
    }

    [LinuxRootFact]
    public async Task a_packet_from_a_clients_link_local_address_is_dropped_without_an_answer_as_lethe_drops_it()
    {
        using var lab = AcceptAllLab();
        var linkLocal = lab.Client.Enter(() => NetworkInterface.GetAllNetworkInterfaces()
            .Single(i => i.Name == "eth0").GetIPProperties().UnicastAddresses.Select(u => u.Address).Single(a => a.IsIPv6LinkLocal));
        using var icmp = lab.Client.Enter(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6));
        using var udp = lab.Client.Enter(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
        udp.Bind(new IPEndPoint(linkLocal, 0));

        await udp.SendToAsync("from a link-local source"u8.ToArray(), new IPEndPoint(IPAddress.Parse(NftLiveLab.OutsideV6), 7000));

        var answers = new List<string>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var n = await icmp.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                // Errors only: neighbour discovery (133-137) is the link's own chatter.
                if (n >= 2 && buffer[0] < 128)
                {
                    answers.Add($"ICMPv6 type {buffer[0]} code {buffer[1]}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Empty(answers);
    }

    /// <summary>
    /// The kernel forwards a packet to ::ffff:0:0/96 like any other; a stateless translator (SIIT) on
    /// the uplink would carry it to the IPv4 address inside, past a dst4 drop rule. Lethe never forwards it.
    /// </summary>
    [LinuxRootFact]
    public async Task a_packet_to_an_ipv4_mapped_address_is_not_forwarded_past_a_drop_rule_for_that_ipv4_address()
    {
        Assert.Null(NftCheck.WhyNot());
        using var lab = new NftLiveLab();
        lab.Load(NftRenderer.Render(Policy(("work", [NftLiveLab.ClientV4, NftLiveLab.ClientV6],
            [("r-drop", $"action=drop dst4={NftLiveLab.OutsideV4}"), ("r-all", "action=accept")])), Wired(lab)));
        // The uplink as the firewall's IPv6 default route, where such a translator would sit.
        lab.Firewall.Ip("-6", "route", "add", "default", "via", NftLiveLab.OutsideV6);
        var mapped = "::ffff:" + NftLiveLab.OutsideV4;
        Watch(lab.Outside, $"ip6 daddr {mapped} udp dport 7000", $"ip6 daddr {NftLiveLab.OutsideV6} udp dport 7000");
        using var raw = lab.Client.Enter(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.Udp));

        foreach (var to in new[] { mapped, NftLiveLab.OutsideV6 })
        {
            var datagram = Lethe.PacketPath.Tests.Packets.Udp(NftLiveLab.ClientV6, to, 40000, 7000, payload: 5);
            await raw.SendToAsync(datagram.AsMemory(40), SocketFlags.None, new IPEndPoint(IPAddress.Parse(to), 0));
        }
        await Task.Delay(500);

        Assert.Equal((0, 1), (Arrived(lab.Outside, 0), Arrived(lab.Outside, 1)));
    }

    /// <summary>Lethe forwards nothing from ::ffff:0:0/96, an ICMP error "from" one about a tracked flow included; conntrack calls that related.</summary>
    [LinuxRootFact]
    public async Task an_error_from_an_ipv4_mapped_source_about_a_clients_flow_does_not_reach_the_client()
    {
        using var lab = AcceptAllLab();
        var remote = new IPEndPoint(IPAddress.Parse(NftLiveLab.OutsideV6), 7000);
        using var server = UdpPort.Open(lab.Outside, remote);
        using var client = UdpPort.Open(lab.Client, new IPEndPoint(IPAddress.Parse(NftLiveLab.ClientV6), 40000));
        await client.Send(remote, "query");
        Assert.Equal(Seen.Datagram("query", new IPEndPoint(IPAddress.Parse(NftLiveLab.ClientV6), 40000)), await server.Receive());
        var mapped = "::ffff:" + NftLiveLab.OutsideV4;
        Watch(lab.Client, $"ip6 saddr {mapped} icmpv6 type destination-unreachable", $"ip6 saddr {NftLiveLab.OutsideV6} icmpv6 type destination-unreachable");
        var quoted = Lethe.PacketPath.Tests.Packets.Udp(NftLiveLab.ClientV6, NftLiveLab.OutsideV6, 40000, 7000, payload: 5);
        // Whole packets, IPv6 header included (IPPROTO_RAW), so the source can be one no socket would take.
        using var raw = lab.Outside.Enter(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.Raw));

        foreach (var from in new[] { mapped, NftLiveLab.OutsideV6 })
        {
            var error = Lethe.PacketPath.Tests.Packets.IcmpError(from, NftLiveLab.ClientV6, 1, 4, quoted);
            await raw.SendToAsync(error, SocketFlags.None, new IPEndPoint(IPAddress.Parse(NftLiveLab.ClientV6), 0));
        }
        await Task.Delay(500);

        Assert.Equal((0, 1), (Arrived(lab.Client, 0), Arrived(lab.Client, 1)));
    }

    /// <summary>Counts the packets arriving in <paramref name="ns"/> that match each of <paramref name="matches"/>.</summary>
    private static void Watch(NetworkNamespace ns, params string[] matches)
    {
        var counters = string.Concat(matches.Select((_, i) => $"add counter inet watch seen{i}; "));
        var rules = string.Join("; ", matches.Select((m, i) => $"add rule inet watch pre {m} counter name seen{i}"));
        Command.Run("ip", "netns", "exec", ns.Name, NftCheck.Required,
            $"add table inet watch; {counters}add chain inet watch pre {{ type filter hook prerouting priority raw; }}; {rules}");
    }

    private static int Arrived(NetworkNamespace ns, int match)
    {
        var listed = Command.Run("ip", "netns", "exec", ns.Name, NftCheck.Required, "list", "counter", "inet", "watch", $"seen{match}");
        return int.Parse(System.Text.RegularExpressions.Regex.Match(listed, @"packets (\d+)").Groups[1].Value);
    }
}
