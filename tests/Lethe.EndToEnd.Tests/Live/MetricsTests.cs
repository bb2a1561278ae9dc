using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>What an operator reads at /metrics follows the traffic: the rule that decided, the client that sent, the reason a packet was dropped.</summary>
[Collection(LiveCollection.Name)]
public sealed class MetricsTests(LiveLab lab)
{
    [LinuxRootFact]
    public async Task a_new_flow_counts_a_hit_on_its_rule_and_packets_for_its_client_and_a_denied_one_its_drop()
    {
        var net = await lab.Shared();
        var pingRule = lab.SharedRuleIds[(Client1, $"action=accept dst4={UplinkV4}/32 proto=icmp icmptype=8")];
        var dropRule = lab.SharedRuleIds[(Client1, "action=drop")];
        var pingHits = $"lethe_rule_hits_total{{client=\"{Client1}\",rule=\"{pingRule}\"}}";
        var dropHits = $"lethe_rule_hits_total{{client=\"{Client1}\",rule=\"{dropRule}\"}}";
        var clientPackets = $"lethe_client_packets_total{{client=\"{Client1}\"}}";
        const string ruleDrops = "lethe_drops_total{reason=\"rule-drop\"}";
        var before = new Dictionary<string, long>();
        foreach (var name in new[] { pingHits, dropHits, clientPackets, ruleDrops })
        {
            before[name] = await net.Metric(name);
        }

        Assert.Equal(Seen.PingReply, await Probe.Ping(net.Client1, UplinkV4));
        Assert.Equal(Seen.AdminProhibited(false), await Probe.UdpEcho(net.Client1, UplinkV4, Ports.Denied));

        Assert.True(await net.MetricOnce(pingHits, v => v > before[pingHits]) > before[pingHits], $"no hit on {pingRule}\n{net.Describe()}");
        Assert.True(await net.MetricOnce(dropHits, v => v > before[dropHits]) > before[dropHits], $"no hit on {dropRule}");
        Assert.True(await net.MetricOnce(ruleDrops, v => v > before[ruleDrops]) > before[ruleDrops], "no rule-drop counted");
        Assert.True(await net.MetricOnce(clientPackets, v => v > before[clientPackets]) > before[clientPackets], "no packet counted for c1");
    }
}
