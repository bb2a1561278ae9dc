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
}
