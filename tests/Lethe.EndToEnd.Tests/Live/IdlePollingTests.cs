using System.Globalization;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A firewall that may (root) polls its empty queues at idle priority between packets, and never
/// forwards or sleeps there: a worker left at SCHED_IDLE would be starved by any busy process.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed class IdlePollingTests(LiveLab lab)
{
    [LinuxRootFact]
    public async Task workers_poll_at_idle_priority_while_traffic_flows_and_are_back_at_normal_priority_when_it_stops()
    {
        var net = await lab.Shared();
        var firewall = net.Firewall!;
        Assert.Contains("forwarding on 3 device(s) with 2 worker(s), polling idle queues up to 400 µs", firewall.Out);
        var workers = WorkerThreads(firewall.Id);
        Assert.Equal(2, workers.Count);

        var flow = $"IPv4 c1 -> uplink host {UplinkV4} TCP {Ports.Bulk}";
        using var session = await TcpSession.Require(net.Client1, UplinkV4, Ports.Bulk, flow);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var transfer = Task.WhenAll(LargeTransferTests.Send(session.Socket, seed: 9, guard.Token), LargeTransferTests.Receive(session.Socket, guard.Token));
        var during = new List<int>();
        while (!transfer.IsCompleted)
        {
            foreach (var tid in workers)
            {
                during.Add(ThreadStat.Policy($"/proc/{firewall.Id}/task/{tid}/stat"));
            }
            await Task.Delay(1);
        }
        await transfer;

        await Task.Delay(300);
        var after = new Dictionary<int, List<int>>();
        for (var i = 0; i < 20; i++)
        {
            foreach (var tid in workers)
            {
                (after.TryGetValue(tid, out var seen) ? seen : after[tid] = []).Add(ThreadStat.Policy($"/proc/{firewall.Id}/task/{tid}/stat"));
            }
            await Task.Delay(10);
        }

        Assert.All(during, policy => Assert.True(policy is ThreadStat.SchedOther or ThreadStat.SchedIdle, $"policy {policy}"));
        Assert.True(during.Contains(ThreadStat.SchedIdle),
            $"no worker was seen polling at SCHED_IDLE in {during.Count} samples during the transfer\n{net.Describe()}");
        // A worker polls for at most 400 µs at a time, so one seen at SCHED_IDLE now and then is polling;
        // one seen there in most samples is stuck.
        foreach (var (tid, seen) in after)
        {
            Assert.True(seen.Count(p => p == ThreadStat.SchedOther) >= 18, $"worker thread {tid} after the traffic: policies {string.Join(",", seen)}");
        }
    }

    private static List<int> WorkerThreads(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task")
            .Select(task => int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture))
            .Where(tid => File.ReadAllText($"/proc/{pid}/task/{tid}/comm").StartsWith("lethe-worker-", StringComparison.Ordinal))
            .ToList();
}
