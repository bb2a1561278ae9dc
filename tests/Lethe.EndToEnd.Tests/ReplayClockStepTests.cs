using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A capture's timestamps are the capturing host's wall clock, which NTP may step back while it runs.
/// Replay then judges the packets as boot, whose flows and answers run on a monotonic clock, would have.
/// </summary>
public sealed class ReplayClockStepTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    private const long Start = 1_764_000_000_000_000L;
    private static readonly long Hour = TimeSpan.FromHours(1).Ticks / 10;
    private static readonly long Second = 1_000_000;

    private async Task<string[]> Replay(string name, (long Micros, byte[] Packet)[] packets)
    {
        var capture = Path.Combine(policy.Folder, name + ".pcap");
        using (var stream = File.Create(capture))
        {
            var writer = new PcapWriter(stream, 262_144);
            foreach (var (micros, packet) in packets)
            {
                writer.Write(micros, packet);
            }
            writer.Flush();
        }
        var (code, output, error) = await FirewallProcess.Run(false,
            ["replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink, "--dns", "10.139.1.1"]);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task a_flow_idle_past_its_timeout_across_a_step_back_is_gone()
    {
        // A DNS query; the clock steps back an hour (the next packet is stamped an hour earlier), and the
        // query's answer comes a minute later: UDP flows last 30 s.
        var lines = await Replay("step-back-flow",
        [
            (Start, Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53)),
            (Start - Hour, Packets.Udp("10.137.0.5", "10.139.1.1", 5354, 53)),
            (Start - Hour + 60 * Second, Packets.Udp("10.139.1.1", Captures.Uplink, 53, 5353)),
        ]);

        Assert.Contains("\"reason\":\"new-flow\"", lines[0]);
        Assert.Contains("\"reason\":\"unsolicited-from-uplink\"", lines[2]);
    }

    [Fact]
    public async Task refusals_after_a_step_back_are_answered_at_the_rate_boot_answers_them()
    {
        // A burst of 20 refused ssh SYNs spends the answers' burst; after the step back, one a second is well under 50/s.
        var packets = new List<(long, byte[])>();
        for (var i = 0; i < 20; i++)
        {
            packets.Add((Start + i, Packets.Tcp("10.137.0.5", "192.0.2.10", (ushort)(41000 + i), 22, TcpFlags.Syn)));
        }
        // The first packet stamped after the step comes right after the burst, as far as the capture can tell.
        packets.Add((Start - Hour, Packets.Udp("10.137.0.5", "10.139.1.1", 5353, 53)));
        for (var i = 1; i <= 5; i++)
        {
            packets.Add((Start - Hour + i * Second, Packets.Tcp("10.137.0.5", "192.0.2.10", (ushort)(42000 + i), 22, TcpFlags.Syn)));
        }

        var lines = await Replay("step-back-answers", [.. packets]);

        Assert.All(lines[21..], line => Assert.Contains("\"answer\":\"admin-prohibited\"", line));
    }
}
