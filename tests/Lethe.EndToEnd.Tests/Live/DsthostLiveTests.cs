using System.Net;
using Lethe.PacketPath.Tests.Devices;
using Lethe.PacketPath.Tests.Dns;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A dsthost rule on the live firewall: `boot --dns` asks a real resolver (a small DNS server of the
/// test's own, on a loopback address) for both families, and the answers open what the rule allows.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class DsthostLiveTests(LiveLab lab)
{
    private const string Policy = "live-dsthost";
    private const string Name = "uplink.lethe.test";

    /// <summary>Port 53 is what --dns asks; an address of 127/8 that no system resolver uses.</summary>
    private static readonly IPAddress Resolver = IPAddress.Parse("127.0.0.77");

    private static readonly IPAddress SecondResolver = IPAddress.Parse("127.0.0.78");

    [LinuxRootFact]
    public async Task a_name_resolved_through_dns_opens_its_addresses_in_both_families_and_nothing_else()
    {
        await using var dns = new TinyDnsServer(new IPEndPoint(Resolver, 53));
        dns.Answer(Name, Rr.A(Name, UplinkV4.ToString()), Rr.Aaaa(Name, UplinkV6.ToString()));
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1, [$"action=accept dsthost={Name} proto=tcp dstports={Ports.Echo}", "action=drop"]),
            new LiveClient(Client2, LivePolicy.Addresses2, ["action=accept"]));
        await using var net = await LiveTopology.Start(lab.Host, Policy, extraBoot: ["--dns", Resolver.ToString()]);
        await net.Firewall!.WaitForOutput($"dns: {Name}: Resolved", TimeSpan.FromSeconds(30));

        var checks = new FlowChecks(net.Describe);
        checks.Expect($"c1 -> {Name} ({UplinkV4}) TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        checks.Expect($"c1 -> {Name} ({UplinkV6}) TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV6, Ports.Echo));
        checks.Expect($"c1 -> {ElsewhereV4} TCP {Ports.Echo} (not the name's address)", Seen.AdminProhibited(false),
            Probe.TcpEcho(net.Client1, ElsewhereV4, Ports.Echo));
        await checks.Verify();
        Assert.Contains(dns.Seen, q => q.Name == Name && q.Type == 1);
        Assert.Contains(dns.Seen, q => q.Name == Name && q.Type == 28);
    }

    [LinuxRootFact]
    public async Task a_name_new_to_a_published_version_is_asked_before_the_swap_so_a_drop_rule_with_it_cuts_no_flow_elsewhere()
    {
        const string policy = "live-dsthost-swap";
        const string blocked = "ads.lethe.test";
        await using var dns = new TinyDnsServer(new IPEndPoint(Resolver, 53));
        dns.Answer(blocked, Rr.A(blocked, ElsewhereV4.ToString()));
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, policy, watchSeconds: 0.2, extraBoot: ["--dns", Resolver.ToString()]);
        using var session = await TcpSession.Require(net.Client1, UplinkV4, Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo}");
        var before = new FlowChecks(net.Describe);
        before.Expect($"version 1: established TCP {Ports.Echo}", Seen.Echoed, session.Echo("before"));
        await before.Verify();

        // A rule of a name the running version does not know, ahead of the accept: the usual way to block a site.
        await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop dsthost={blocked}", position = 0, reason = "block ads" });
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v2: block ads" });
        var text = $"swapped to policy {policy} version 2 ";
        await net.Firewall!.WaitForOutput(text, TimeSpan.FromSeconds(30));
        var swap = net.Firewall.Out.Split('\n').Single(l => l.Contains(text, StringComparison.Ordinal)).TrimEnd();
        Assert.True(swap.EndsWith("cut 0 flow(s) the new policy no longer allows", StringComparison.Ordinal),
            $"the established flow goes nowhere near {blocked}, so version 2 must keep it, but the firewall said: {swap}");

        var after = new FlowChecks(net.Describe);
        after.Expect($"version 2: established TCP {Ports.Echo} to the uplink host (kept)", Seen.Echoed, session.Echo("after"));
        after.Expect($"version 2: c1 -> {blocked} ({ElsewhereV4}) TCP {Ports.Echo}", Seen.AdminProhibited(false), Probe.TcpEcho(net.Client1, ElsewhereV4, Ports.Echo));
        after.Expect($"version 2: new TCP {Ports.Echo} to the uplink host", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
    }

    [LinuxRootFact]
    public async Task with_two_resolvers_an_unanswered_aaaa_query_does_not_hold_back_the_ipv4_answer_past_the_swap()
    {
        const string policy = "live-dsthost-aaaa";
        const string blocked = "ads6.lethe.test";
        await using var first = new TinyDnsServer(new IPEndPoint(Resolver, 53));
        await using var second = new TinyDnsServer(new IPEndPoint(SecondResolver, 53));
        foreach (var dns in new[] { first, second })
        {
            dns.Answer(blocked, Rr.A(blocked, ElsewhereV4.ToString()));
            dns.Zone[(blocked, 28)] = _ => []; // AAAA goes unanswered: four tries of 2 s
        }
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, ["action=accept"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, policy, watchSeconds: 0.2,
            extraBoot: ["--dns", Resolver.ToString(), "--dns", SecondResolver.ToString()]);
        using var session = await TcpSession.Require(net.Client1, UplinkV4, Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo}");

        var swap = await PublishDropOf(http, net, policy, blocked, position: 0);

        Assert.Contains("cut 0 flow(s) the new policy no longer allows", swap);
        var after = new FlowChecks(net.Describe);
        after.Expect($"version 2: established TCP {Ports.Echo} to the uplink host (kept)", Seen.Echoed, session.Echo("after"));
        after.Expect($"version 2: c1 -> {blocked} ({ElsewhereV4}) TCP {Ports.Echo}", Seen.AdminProhibited(false), Probe.TcpEcho(net.Client1, ElsewhereV4, Ports.Echo));
        await after.Verify();
    }

    [LinuxRootFact]
    public async Task a_swap_asks_the_name_new_to_it_before_the_names_it_already_has_answers_for()
    {
        const string policy = "live-dsthost-many";
        const string blocked = "ads-new.lethe.test";
        var known = Enumerable.Range(0, 40).Select(i => $"site{i}.lethe.test").ToArray();
        await using var down = new TinyDnsServer(new IPEndPoint(Resolver, 53)); // drops every query: each try waits 2 s
        await using var up = new TinyDnsServer(new IPEndPoint(SecondResolver, 53));
        foreach (var name in known.Append(blocked))
        {
            down.For(name, _ => []);
        }
        up.Answer(blocked, Rr.A(blocked, ElsewhereV4.ToString()), Rr.Aaaa(blocked, ElsewhereV6.ToString()));
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, policy,
            new LiveClient(Client1, LivePolicy.Addresses1, [.. known.Select(n => $"action=accept dsthost={n}"), "action=accept"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, policy, watchSeconds: 0.2,
            extraBoot: ["--dns", Resolver.ToString(), "--dns", SecondResolver.ToString()]);
        foreach (var name in known)
        {
            await net.Firewall!.WaitForOutput($"dns: {name}: NameError", TimeSpan.FromSeconds(60));
        }
        using var session = await TcpSession.Require(net.Client1, UplinkV4, Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo}");

        var swap = await PublishDropOf(http, net, policy, blocked, position: known.Length);

        Assert.EndsWith("cut 0 flow(s) the new policy no longer allows", swap);
        var after = new FlowChecks(net.Describe);
        after.Expect($"version 2: established TCP {Ports.Echo} to the uplink host (kept)", Seen.Echoed, session.Echo("after"));
        await after.Verify();
    }

    /// <summary>Publishes version 2 with a drop rule of the name and returns the firewall's swap line.</summary>
    private static async Task<string> PublishDropOf(HttpClient http, LiveTopology net, string policy, string name, int position)
    {
        await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{Client1}/rules", new { rule = $"action=drop dsthost={name}", position, reason = "block ads" });
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "v2: block ads" });
        var text = $"swapped to policy {policy} version 2 ";
        await net.Firewall!.WaitForOutput(text, TimeSpan.FromSeconds(30));
        return net.Firewall.Out.Split('\n').Single(l => l.Contains(text, StringComparison.Ordinal)).TrimEnd();
    }
}
