using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Lethe.PacketPath.Tests.Devices;
using static Lethe.EndToEnd.Tests.Live.LiveNet;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// `boot --log-drops N`: what the firewall refused shows in its log as it happens, naming the
/// packet, the client and the rule, and a flood costs the log at most N lines a second plus a count.
/// </summary>
[Collection(LiveCollection.Name)]
public sealed partial class DropLogLiveTests(LiveLab lab)
{
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(10);

    [LinuxRootFact]
    public async Task refused_packets_are_logged_with_their_rule_client_and_addresses()
    {
        using var http = lab.Host.Client();
        var ids = await LivePolicy.Publish(http, "live-droplog", LiveLab.SharedPolicy);
        await using var net = await LiveTopology.Start(lab.Host, "live-droplog", extraBoot: ["--log-drops", "50"]);
        var firewall = net.Firewall!;
        Assert.Contains("logging dropped packets (at most 50 a second)", firewall.Out);

        Assert.Equal(Seen.AdminProhibited(v6: false), await Probe.UdpEcho(net.Client1, UplinkV4, Ports.Denied));
        Assert.Equal(Seen.Nothing, await Probe.UdpEcho(net.Uplink, FirewallV4, 9999));
        Assert.Equal(Seen.Echoed, await Probe.UdpEcho(net.Client1, UplinkV4, Ports.Echo));

        var dropRule = ids[(Client1, "action=drop")];
        await firewall.WaitForOutput($"drop rule-drop (rule {dropRule}): udp {Client1V4}:", LogWait);
        await firewall.WaitForOutput($"drop unsolicited-from-uplink: udp {UplinkV4}:", LogWait);
        var lines = firewall.Out.Split('\n');
        Assert.Contains(lines, l => Regex.IsMatch(l,
            $@"^drop rule-drop \(rule {Regex.Escape(dropRule)}\): udp {Regex.Escape(Client1V4.ToString())}:\d+ -> {Regex.Escape(UplinkV4.ToString())}:{Ports.Denied} from client {Client1}, snapshot \d+$"));
        Assert.Contains(lines, l => Regex.IsMatch(l,
            $@"^drop unsolicited-from-uplink: udp {Regex.Escape(UplinkV4.ToString())}:\d+ -> {Regex.Escape(FirewallV4.ToString())}:9999 from the uplink, snapshot \d+$"));
        // What passed is not a drop.
        Assert.DoesNotContain(lines, l => l.StartsWith("drop ", StringComparison.Ordinal) && l.Contains($":{Ports.Echo} from", StringComparison.Ordinal));
    }

    [LinuxRootFact]
    public async Task a_flood_of_refused_packets_is_logged_in_a_few_lines_and_counted_whole()
    {
        const int Flood = 200;
        const int PerSecond = 3;
        var running = System.Diagnostics.Stopwatch.StartNew();
        using var http = lab.Host.Client();
        await LivePolicy.Publish(http, "live-dropflood", LiveLab.SharedPolicy);
        await using var net = await LiveTopology.Start(lab.Host, "live-dropflood", extraBoot: ["--log-drops", $"{PerSecond}"]);
        var firewall = net.Firewall!;

        using (var socket = net.Client1.Enter(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)))
        {
            socket.Bind(new IPEndPoint(Client1V4, 0));
            var denied = new IPEndPoint(UplinkV4, Ports.Denied);
            for (var i = 0; i < Flood; i++)
            {
                await socket.SendToAsync(new byte[32], SocketFlags.None, denied);
            }
        }

        // Every datagram of the flood is a line or part of a count (other drops, such as the
        // namespaces' own router solicitations, may add to the counts, never take from them).
        var deadline = DateTime.UtcNow + LogWait;
        var (logged, counted, lines) = Tally(firewall.Out);
        while (logged + counted < Flood && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            (logged, counted, lines) = Tally(firewall.Out);
        }
        Assert.True(logged + counted >= Flood, $"{logged} datagrams logged and {counted} drops counted, fewer than the {Flood} sent.\n{net.Describe()}");
        // The log is written once a second since boot, at most PerSecond drop lines each time.
        var most = PerSecond * ((int)running.Elapsed.TotalSeconds + 1);
        Assert.True(lines <= most, $"{lines} drop lines in {running.Elapsed.TotalSeconds:0.0} s, more than {PerSecond} a second.\n{net.Describe()}");
    }

    /// <summary>The flood's datagrams logged one per line, the drops the count lines name, and the drop lines of any packet.</summary>
    private static (int Logged, long Counted, int Lines) Tally(string output)
    {
        var lines = output.Split('\n');
        var logged = lines.Count(l => l.StartsWith("drop rule-drop", StringComparison.Ordinal) && l.Contains($":{Ports.Denied} from client {Client1}", StringComparison.Ordinal));
        var counted = lines.Select(l => CountLine().Match(l)).Where(m => m.Success)
            .Sum(m => long.Parse(m.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture));
        return (logged, counted, lines.Count(l => l.StartsWith("drop ", StringComparison.Ordinal)));
    }

    [GeneratedRegex(@"^drop log: ([\d,]+) more dropped packet\(s\) not logged \(--log-drops 3: at most 3 line\(s\) a second\)$")]
    private static partial Regex CountLine();
}
