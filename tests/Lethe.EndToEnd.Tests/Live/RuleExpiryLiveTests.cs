using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A rule added with <c>expire=+SECONDS</c> stops matching at that wall-clock time in the running
/// firewall, with no new snapshot: the flows it allowed are cut and a new one is refused, while a
/// flow another rule allows carries on. Runs its own policy and firewall.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class RuleExpiryLiveTests(LiveLab lab)
{
    private const string Policy = "expiry";
    private const int ExpiresInSeconds = 10;

    [LinuxRootFact]
    public async Task an_expired_rule_cuts_its_flows_and_refuses_new_ones_without_a_new_snapshot()
    {
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, Policy,
            new LiveClient(Client1, LivePolicy.Addresses1,
            [
                $"action=accept expire=+{ExpiresInSeconds} dst4={UplinkV4}/32 proto=tcp dstports={Ports.Echo}",
                $"action=accept proto=tcp dstports={Ports.Bulk}",
                "action=drop",
            ]),
            new LiveClient(Client2, LivePolicy.Addresses2, []));
        // The time the control plane stored for +SECONDS (whole seconds, from when it took the rule), not
        // a guess from this side: the checks below are timed from it.
        var stored = System.Text.RegularExpressions.Regex.Match(await http.GetStringAsync($"/policies/{Policy}"), "expire=([0-9]+)");
        Assert.True(stored.Success, "the policy shows no absolute expire for the rule added with expire=+SECONDS");
        var expires = DateTimeOffset.FromUnixTimeSeconds(long.Parse(stored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        await using var net = await LiveTopology.Start(lab.Host, Policy);

        using var expiring = await TcpSession.Require(net.Client1, UplinkV4, Ports.Echo, $"c1 -> uplink host TCP {Ports.Echo}");
        using var kept = await TcpSession.Require(net.Client1, UplinkV4, Ports.Bulk, $"c1 -> uplink host TCP {Ports.Bulk}");
        var before = new FlowChecks(net.Describe);
        before.Expect($"before the expiry: established TCP {Ports.Echo}", Seen.Echoed, expiring.Echo("before"));
        before.Expect($"before the expiry: established TCP {Ports.Bulk}", Seen.Echoed, kept.Echo("before"));
        await before.Verify();
        Assert.True(DateTimeOffset.UtcNow < expires,
            "the flows were set up too slowly to be checked before the rule expired; the test proves nothing");

        // A second of margin past the stored time.
        var wait = expires.AddSeconds(1) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var after = new FlowChecks(net.Describe);
        after.ExpectNot($"after the expiry: established TCP {Ports.Echo} (cut)", Seen.Echoed, expiring.Echo("after the expiry"));
        after.Expect($"after the expiry: established TCP {Ports.Bulk} (another rule allows it, kept)", Seen.Echoed, kept.Echo("after the expiry"));
        after.Expect($"after the expiry: new TCP {Ports.Echo} (no rule allows it)", Seen.AdminProhibited(false),
            Probe.TcpEcho(net.Client1, UplinkV4, Ports.Echo));
        await after.Verify();
        Assert.DoesNotContain("swapped to", net.Firewall!.Out);
    }
}
