using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>`boot --silent-drop`: a dropped flow gets no answer at all, while a reject rule still answers.</summary>
[Collection(LiveCollection.Name)]
public sealed class SilentDropLiveTests(LiveLab lab)
{
    private const string Policy = "live-silent";

    [LinuxRootFact]
    public async Task drops_go_unanswered_and_rejects_still_reset()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy, LiveLab.SharedPolicy);
        await using var net = await LiveTopology.Start(lab.Host, Policy, extraBoot: ["--silent-drop"]);

        var checks = new FlowChecks(net.Describe);
        checks.Expect($"c1 -> uplink host UDP {Ports.Denied} (drop)", Seen.Nothing, Probe.UdpEcho(net.Client1, UplinkV4, Ports.Denied));
        checks.Expect($"c1 pings {ElsewhereV4} (drop)", Seen.PingNoReply, Probe.Ping(net.Client1, ElsewhereV4));
        checks.Expect($"c1 -> uplink host TCP {Ports.Rejected} (reject)", Seen.Reset, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Rejected));
        checks.Expect($"c1 -> uplink host TCP {Ports.Echo} (accept)", Seen.Echoed, Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await checks.Verify();
    }
}
