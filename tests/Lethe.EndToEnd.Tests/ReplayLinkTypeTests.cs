using System.Text.Json.Nodes;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests;

/// <summary>Replay of what `tcpdump -i any` writes (Linux cooked v2, link type 276), and the refusal of a link type it cannot read.</summary>
public sealed class ReplayLinkTypeTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task a_tcpdump_i_any_capture_is_replayed_judging_each_copy_and_arp_as_another_protocol()
    {
        var https = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443);
        var ssh = Packets.Tcp("10.137.0.5", "192.0.2.10", 40002, 22);
        var capture = Path.Combine(policy.Folder, "any.pcap");
        await File.WriteAllBytesAsync(capture, LinkTypeCapture.Of(276,
            LinkTypeCapture.Sll2(0x0800, https, packetType: 0, interfaceIndex: 2),
            // The same SYN leaving by the uplink: a host routing between its interfaces captures it twice.
            LinkTypeCapture.Sll2(0x0800, https, packetType: 4, interfaceIndex: 3),
            LinkTypeCapture.Sll2(0x0806, new byte[28]),
            LinkTypeCapture.Sll2(0x0800, ssh, packetType: 0, interfaceIndex: 2),
            LinkTypeCapture.Sll2(0x0800, ssh)[..10]));

        var (code, output, error) = await FirewallProcess.Run(false,
            "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--dns", "10.139.1.1");

        Assert.True(code == 0, error);
        var verdicts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(
            [("accept", "new-flow"), ("accept", "tracked-flow"), ("drop", "unsupported-protocol"), ("drop", "rule-drop"), ("drop", "truncated")],
            verdicts.Select(v => (v["verdict"]!.GetValue<string>(), v["reason"]!.GetValue<string>())));
        Assert.Contains("replayed 5 packets", error);
    }

    [Fact]
    public async Task a_capture_of_a_link_type_replay_cannot_read_is_refused_naming_the_ones_it_can()
    {
        var capture = Path.Combine(policy.Folder, "ppp.pcap");
        await File.WriteAllBytesAsync(capture, LinkTypeCapture.Of(9, [0xff, 0x03, 0x00, 0x21]));

        var (code, _, error) = await FirewallProcess.Run(false,
            "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--dns", "10.139.1.1");

        Assert.Equal(2, code);
        Assert.Equal($"error: --pcap {capture}: pcap link type 9 is not supported (ETHERNET 1, RAW 101, LINUX_SLL 113 and LINUX_SLL2 276 "
            + "from `tcpdump -i any`, IPV4 228, IPV6 229, NULL 0 and LOOP 108 are)", error.Trim());
    }
}
