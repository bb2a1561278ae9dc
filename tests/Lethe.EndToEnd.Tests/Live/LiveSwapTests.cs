using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A rule change published to the control plane reaches the running firewall, which cuts the
/// established flows the new version no longer allows and keeps the others; a rollback opens them
/// again. Runs its own policy and firewall, so the swaps touch no other test.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class LiveSwapTests(LiveLab lab)
{
    private const string Policy = "swap";
    private static readonly bool[] Families = [false, true];

    private static readonly string[] EchoRules =
    [
        $"action=accept dst4={UplinkV4}/32 proto=tcp dstports={Ports.Echo}",
        $"action=accept dst6={UplinkV6}/128 proto=tcp dstports={Ports.Echo}",
    ];

    [LinuxRootFact]
    public async Task a_published_change_cuts_the_flows_it_no_longer_allows_and_a_rollback_restores_them()
    {
        using var http = lab.Host.Client();
        var ids = await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1, [.. EchoRules, $"action=accept proto=tcp dstports={Ports.Bulk}", "action=drop"]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        await using var net = await LiveTopology.Start(lab.Host, Policy, watchSeconds: 0.2);
        Assert.Contains($"booted policy {Policy} version 1", net.Firewall!.Out);

        var cut = new Dictionary<bool, TcpSession>();
        var kept = new Dictionary<bool, TcpSession>();
        try
        {
            foreach (var v6 in Families)
            {
                cut[v6] = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Echo, $"{Family(v6)} c1 -> uplink host TCP {Ports.Echo}");
                kept[v6] = await TcpSession.Require(net.Client1, Uplink(v6), Ports.Bulk, $"{Family(v6)} c1 -> uplink host TCP {Ports.Bulk}");
            }
            var before = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                before.Expect($"version 1: {Family(v6)} established TCP {Ports.Echo}", Seen.Echoed, cut[v6].Echo("before"));
                before.Expect($"version 1: {Family(v6)} established TCP {Ports.Bulk}", Seen.Echoed, kept[v6].Echo("before"));
            }
            await before.Verify();

            foreach (var rule in EchoRules)
            {
                await PublishedPolicy.Send(http, $"/policies/{Policy}/rules/{ids[(Client1, rule)]}/remove", new { reason = "close the echo port" });
            }
            await PublishedPolicy.Send(http, $"/policies/{Policy}/publish", new { reason = "v2: echo closed" });
            var swap = await SwapLine(net, 2);
            Assert.True(swap.EndsWith("cut 2 flow(s) the new policy no longer allows", StringComparison.Ordinal),
                $"version 2 closes the two established TCP {Ports.Echo} flows (one per family), but the firewall said: {swap}");

            var after = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                after.ExpectNot($"version 2: {Family(v6)} established TCP {Ports.Echo} (cut)", Seen.Echoed, cut[v6].Echo("after the cut"));
                after.Expect($"version 2: {Family(v6)} established TCP {Ports.Bulk} (still allowed, kept)", Seen.Echoed, kept[v6].Echo("after the cut"));
                after.Expect($"version 2: {Family(v6)} new TCP {Ports.Echo} (no longer allowed)", Seen.AdminProhibited(v6),
                    Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Echo));
            }
            await after.Verify();

            await PublishedPolicy.Send(http, $"/policies/{Policy}/rollback", new { toVersion = 1, reason = "echo back" });
            await SwapLine(net, 3);

            var restored = new FlowChecks(net.Describe);
            foreach (var v6 in Families)
            {
                restored.Expect($"version 3 (rollback to 1): {Family(v6)} new TCP {Ports.Echo}", Seen.Echoed, Probe.TcpEcho(net.Client1, Uplink(v6), Ports.Echo));
                restored.Expect($"version 3 (rollback to 1): {Family(v6)} established TCP {Ports.Bulk}", Seen.Echoed, kept[v6].Echo("after the rollback"));
            }
            await restored.Verify();
        }
        finally
        {
            foreach (var session in cut.Values.Concat(kept.Values))
            {
                session.Dispose();
            }
        }
    }

    /// <summary>The firewall's line announcing <paramref name="version"/>, once the watch picked it up.</summary>
    private static async Task<string> SwapLine(LiveTopology net, int version)
    {
        var text = $"swapped to policy {Policy} version {version} ";
        await net.Firewall!.WaitForOutput(text, TimeSpan.FromSeconds(30));
        return net.Firewall.Out.Split('\n').Single(l => l.Contains(text, StringComparison.Ordinal)).TrimEnd();
    }
}
