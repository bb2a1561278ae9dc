using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// Forwarding does not wait for the machine to be idle: with three busy processes per core, a fast
/// ping through the firewall (the uplink host's kernel answers; no process of the test's own is on
/// the path) gets every answer, none of them a second late. Before <c>IdlePollGuard</c>, a worker
/// polling at SCHED_IDLE when the cores filled up was starved there: the slowest answer took
/// 1.7-2.4 s here, 111-143 ms with the guard (bench/README.md, "Idle polling").
/// </summary>
[Collection(LiveCollection.Name)]
public sealed partial class BusyMachineTests(LiveLab lab)
{
    private const int Pings = 6000;

    [LinuxRootFact]
    public async Task a_fast_ping_through_the_firewall_gets_every_answer_while_every_core_is_busy()
    {
        var net = await lab.Shared();
        var hogs = new List<Process>();
        string output;
        try
        {
            for (var i = 0; i < 3 * Environment.ProcessorCount; i++)
            {
                hogs.Add(Process.Start("sh", ["-c", "while :; do :; done"]));
            }
            // 300 µs apart: close enough that the workers poll between packets.
            (_, output) = await Task.Run(() => Command.Execute("ip", "netns", "exec", net.Client1.Name,
                "ping", "-4", "-n", "-q", "-c", Pings.ToString(CultureInfo.InvariantCulture), "-i", "0.0003", "-W", "5", UplinkV4.ToString()));
        }
        finally
        {
            foreach (var hog in hogs)
            {
                hog.Kill();
                hog.Dispose();
            }
        }

        var received = Received().Match(output);
        var rtt = Rtt().Match(output);
        var rescues = await net.Metric("lethe_idle_poll_rescues_total");
        Assert.True(received.Success && rtt.Success, $"ping said:\n{output}");
        var slowest = double.Parse(rtt.Groups["max"].Value, CultureInfo.InvariantCulture);
        Assert.True(int.Parse(received.Groups["received"].Value, CultureInfo.InvariantCulture) == Pings && slowest < 1000,
            $"ping said:\n{output}\npolls cut short by the guard: {rescues}\n{net.Describe()}");
    }

    [GeneratedRegex(@"(?<received>\d+) received")]
    private static partial Regex Received();

    [GeneratedRegex(@"= [\d.]+/[\d.]+/(?<max>[\d.]+)/")]
    private static partial Regex Rtt();
}
