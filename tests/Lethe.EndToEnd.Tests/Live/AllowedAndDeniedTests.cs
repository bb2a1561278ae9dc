using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>Real TCP, UDP and ping through the live firewall: what the rules allow passes, what they deny is refused out loud.</summary>
[Collection(LiveCollection.Name)]
public sealed class AllowedAndDeniedTests(LiveLab lab)
{
    private static readonly bool[] Families = [false, true];

    [LinuxRootFact]
    public async Task allowed_tcp_udp_and_ping_pass_in_both_families()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        foreach (var v6 in Families)
        {
            var family = Family(v6);
            checks.Expect($"{family} c1 -> uplink host {Uplink(v6)} TCP {Ports.Echo} and back", Seen.Echoed, Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Echo));
            checks.Expect($"{family} c1 -> uplink host {Uplink(v6)} UDP {Ports.Echo} and back", Seen.Echoed, Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Echo));
            checks.Expect($"{family} c1 -> {Elsewhere(v6)} UDP {Ports.Echo} (the UDP rule names no destination)", Seen.Echoed, Probe.UdpEcho(net.Client1, Elsewhere(v6), Ports.Echo));
            checks.Expect($"{family} c1 pings the uplink host {Uplink(v6)}", Seen.PingReply, Probe.Ping(net.Client1, Uplink(v6)));
        }
        await checks.Verify();
    }

    [LinuxRootFact]
    public async Task denied_flows_do_not_pass_and_the_client_is_told_administratively_prohibited()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        foreach (var v6 in Families)
        {
            var family = Family(v6);
            checks.Expect($"{family} c1 -> uplink host TCP {Ports.Denied} (no rule opens it: drop)", Seen.AdminProhibited(v6),
                Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Denied));
            checks.Expect($"{family} c1 -> {Elsewhere(v6)} TCP {Ports.Echo} (the TCP rule opens only the uplink host)", Seen.AdminProhibited(v6),
                Probe.TcpEcho(net.Client1, Elsewhere(v6), Ports.Echo));
            checks.Expect($"{family} c1 -> uplink host UDP {Ports.Denied} (drop)", Seen.AdminProhibited(v6),
                Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Denied));
            checks.Expect($"{family} c1 pings {Elsewhere(v6)} (the ping rule opens only the uplink host)", Seen.PingProhibited,
                Probe.Ping(net.Client1, Elsewhere(v6)));
            checks.Expect($"{family} c1 -> uplink host TCP {Ports.Rejected} (reject rule: a reset)", Seen.Reset,
                Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Rejected));
        }
        await checks.Verify();
    }
}
