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
}
