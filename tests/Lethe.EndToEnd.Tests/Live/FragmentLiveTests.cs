using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Datagrams larger than the devices' MTU cross the live firewall in fragments, both ways: the
/// sending host fragments them, the firewall judges the first fragment and passes the later ones
/// after it (translated alike), and the receiving host reassembles them. The firewall runs two
/// workers, and eight flows of each family land on both workers' shards.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class FragmentLiveTests(LiveLab lab)
{
    private const int Flows = 8;

    [LinuxRootFact]
    public async Task datagrams_larger_than_the_mtu_cross_in_fragments_both_ways()
    {
        var net = await lab.Shared();
        var checks = new FlowChecks(net.Describe);
        foreach (var v6 in new[] { false, true })
        {
            for (var i = 1; i <= Flows; i++)
            {
                checks.Expect($"{Family(v6)} c1 -> uplink host UDP {Ports.Echo}, 4,000 bytes (flow {i} of {Flows}), the echo back whole",
                    Seen.Echoed, Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Echo, size: 4000));
            }
            checks.Expect($"{Family(v6)} c1 -> uplink host, a ping of 3,000 bytes", Seen.PingReply, Probe.Ping(net.Client1, Uplink(v6), size: 3000));
            checks.Expect($"{Family(v6)} c1 -> uplink host UDP {Ports.Denied}, 4,000 bytes (drop): the answer to the first fragment",
                Seen.AdminProhibited(v6), Probe.UdpEcho(net.Client1, Uplink(v6), Ports.Denied, size: 4000));
        }
        await checks.Verify();
    }
}
