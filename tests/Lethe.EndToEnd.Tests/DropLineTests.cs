using Lethe.Domain.Snapshots;
using Lethe.Firewall;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests;
using Lethe.PacketPath.Wire;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// What <c>boot --log-drops</c> writes for a dropped packet: real packets through the engine, noted as
/// a worker notes them, then written as the log writes them.
/// </summary>
public sealed class DropLineTests
{
    private const long Now = 1_800_000_000_000;

    private static PacketEngine Engine()
    {
        var content = new SnapshotContent(SnapshotContent.CurrentFormat, "lab",
        [
            new SnapshotClient("work", ["10.137.0.5", "2001:db8:1::5"],
            [
                new SnapshotRule("r-web", "action=accept proto=tcp dstports=443-443"),
                new SnapshotRule("r-ssh", "action=drop proto=tcp dstports=22-22"),
                new SnapshotRule("r-telnet", "action=reject proto=tcp dstports=23-23"),
            ]),
            new SnapshotClient("lab", ["10.137.0.6"], [new SnapshotRule("r-all", "action=accept")]),
        ]);
        var compiled = CompiledPolicy.Compile(content, []);
        return new PacketEngine(new ActivePolicy(compiled, 4, compiled.CreateHostTable()),
            new EngineOptions { UplinkV4 = NetAddress.Parse("198.51.100.1"), UplinkV6 = NetAddress.Parse("2001:db8:2::1"), Seed = 1 });
    }

    private static string LineFor(PacketEngine engine, byte[] packet, string? from)
    {
        var ingress = from is null ? Ingress.Uplink : engine.Policy.Compiled.ClientIndex(from);
        var parsed = PacketParser.TryParse(packet, out var info, out _);
        var outcome = engine.Process(packet, packet.Length, ingress, Now, new byte[2048]);
        Assert.False(outcome.Forwarded, "the packet was forwarded");
        var log = new DropLog(16);
        log.Add(Now, info, parsed, packet.Length, outcome, ingress, engine.Policy);
        Assert.True(log.TryTake(out var drop));
        return DropLine.Of(drop);
    }

    [Fact]
    public void a_drop_rule_is_named_with_the_packet_and_its_client()
    {
        var line = LineFor(Engine(), Packets.Tcp("10.137.0.5", "203.0.113.7", 40000, 22), "work");
        Assert.Equal("drop rule-drop (rule r-ssh): tcp [S] 10.137.0.5:40000 -> 203.0.113.7:22 from client work, snapshot 4", line);
    }

    [Fact]
    public void a_reject_rule_is_named_as_one()
    {
        var line = LineFor(Engine(), Packets.Tcp("10.137.0.5", "203.0.113.7", 40001, 23), "work");
        Assert.Equal("drop rule-reject (rule r-telnet): tcp [S] 10.137.0.5:40001 -> 203.0.113.7:23 from client work, snapshot 4", line);
    }

    [Fact]
    public void the_default_drop_names_no_rule_and_ipv6_ends_are_bracketed()
    {
        var line = LineFor(Engine(), Packets.Udp("2001:db8:1::5", "2001:db8:3::7", 40002, 53, payload: 20), "work");
        Assert.Equal("drop no-rule-matched: udp [2001:db8:1::5]:40002 -> [2001:db8:3::7]:53 from client work, snapshot 4", line);
    }

    [Fact]
    public void an_icmp_message_is_named_by_type_and_code()
    {
        var line = LineFor(Engine(), Packets.IcmpEcho("10.137.0.5", "203.0.113.7", id: 7, sequence: 1), "work");
        Assert.Equal("drop no-rule-matched: icmp 10.137.0.5 -> 203.0.113.7 type 8 code 0 from client work, snapshot 4", line);
    }

    [Fact]
    public void unsolicited_traffic_from_the_uplink_is_named_as_such()
    {
        var line = LineFor(Engine(), Packets.Udp("203.0.113.9", "198.51.100.1", 5000, 6000, payload: 8), from: null);
        Assert.Equal("drop unsolicited-from-uplink: udp 203.0.113.9:5000 -> 198.51.100.1:6000 from the uplink, snapshot 4", line);
    }

    [Fact]
    public void a_bare_ack_of_no_flow_shows_its_flags()
    {
        var line = LineFor(Engine(), Packets.Tcp("203.0.113.9", "198.51.100.1", 443, 40000, TcpFlags.Ack, acknowledgement: 1), from: null);
        Assert.StartsWith("drop ", line);
        Assert.Contains(": tcp [.] 203.0.113.9:443 -> 198.51.100.1:40000 from the uplink, snapshot 4", line);
    }

    [Fact]
    public void a_packet_whose_headers_cannot_be_read_is_named_by_its_length_only()
    {
        var packet = new byte[10];
        packet[0] = 0x45;
        var line = LineFor(Engine(), packet, "work");
        Assert.Equal("drop truncated: 10 bytes from client work, snapshot 4", line);
    }

    [Fact]
    public void a_spoofed_source_is_named_with_the_address_the_client_used()
    {
        var line = LineFor(Engine(), Packets.Udp("10.137.0.99", "203.0.113.7", 40003, 7000, payload: 8), "work");
        Assert.Equal("drop spoofed-client-source: udp 10.137.0.99:40003 -> 203.0.113.7:7000 from client work, snapshot 4", line);
    }
}
