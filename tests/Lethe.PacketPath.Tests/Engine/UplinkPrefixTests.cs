using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Given the uplink's prefix (--uplink-address 198.51.100.1/24, 2001:db8:ff::1/64), the firewall treats
/// what the kernel makes its own by that prefix alone as the kernel does: the IPv4 subnet's directed
/// broadcast is dropped silently, never sent onto the uplink's subnet, and the IPv6 subnet-router anycast
/// (the prefix's first address) is refused as the firewall's own address is. Without a prefix (or with
/// a /32 or /128) both are ordinary destinations, judged by the rules.
/// </summary>
public class UplinkPrefixTests
{
    private const string Broadcast4 = "198.51.100.255";
    private const string Anycast6 = "2001:db8:ff::";

    private static readonly EngineOptions WithPrefix = Options with { UplinkPrefixLengthV4 = 24, UplinkPrefixLengthV6 = 64 };

    [Fact]
    public void a_clients_datagram_to_the_uplink_subnets_broadcast_is_dropped_silently_and_opens_nothing()
    {
        var lab = new EngineLab(["action=accept"], options: WithPrefix);

        var sent = lab.FromWork(Packets.Udp(Work4, Broadcast4, 40000, 137, payload: 20));

        Assert.Equal((false, DropReason.DirectedBroadcast), (sent.Forwarded, sent.Reason));
        Assert.Empty(sent.Reply);
        Assert.Equal(0, lab.Engine.Connections.Count);
        Assert.Equal(0, lab.Engine.Policy.RuleHits[lab.Work][0]);
    }

    [Fact]
    public void a_refused_or_expiring_packet_to_the_broadcast_draws_no_answer_either()
    {
        var lab = new EngineLab(["action=drop"], options: WithPrefix);

        var refused = lab.FromWork(Packets.Tcp(Work4, Broadcast4, 40000, 80, TcpFlags.Syn));
        var expiring = lab.FromWork(Packets.Udp(Work4, Broadcast4, 40001, 137, payload: 20, ttl: 1));

        Assert.Equal((DropReason.DirectedBroadcast, 0), (refused.Reason, refused.Reply.Length));
        Assert.Equal((DropReason.DirectedBroadcast, 0), (expiring.Reason, expiring.Reply.Length));
    }

    [Fact]
    public void a_clients_connection_to_the_subnet_router_anycast_is_refused_as_to_the_firewalls_own_address()
    {
        var lab = new EngineLab(["action=accept"], options: WithPrefix);

        var sent = lab.FromWork(Packets.Tcp(Work6, Anycast6, 40000, 22, TcpFlags.Syn));

        Assert.Equal((false, DropReason.AddressedToFirewall), (sent.Forwarded, sent.Reason));
        Assert.True(sent.Reply.Length > 0, "the client's connect() to the anycast address got no answer");
        Assert.Equal(NetAddress.Parse(Work6), sent.ReplyInfo.Destination);
        Assert.Equal(0, lab.Engine.Connections.Count);
    }

    [Theory]
    [InlineData(Work4, "198.51.100.7")]
    [InlineData(Work4, "198.51.100.0")]
    [InlineData(Work4, "198.51.100.254")]
    [InlineData(Work6, "2001:db8:ff::7")]
    [InlineData(Work6, "2001:db8:ff:0:ffff:ffff:ffff:ffff")]
    public void another_address_of_the_prefix_is_judged_by_the_rules_and_leaves(string source, string destination)
    {
        var lab = new EngineLab(["action=accept"], options: WithPrefix);

        var sent = lab.FromWork(Packets.Udp(source, destination, 40000, 53, payload: 20));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
    }

    [Theory]
    [InlineData(32, 128)]
    [InlineData(null, null)]
    public void without_a_prefix_the_broadcast_and_the_anycast_are_judged_by_the_rules(int? v4, int? v6)
    {
        var options = v4 is null ? Options : Options with { UplinkPrefixLengthV4 = v4.Value, UplinkPrefixLengthV6 = v6!.Value };
        var lab = new EngineLab(["action=accept"], options: options);

        var broadcast = lab.FromWork(Packets.Udp(Work4, Broadcast4, 40000, 137, payload: 20));
        var anycast = lab.FromWork(Packets.Tcp(Work6, Anycast6, 40000, 22, TcpFlags.Syn));

        Assert.True(broadcast.Forwarded, broadcast.Reason.ToString());
        Assert.True(anycast.Forwarded, anycast.Reason.ToString());
    }

    [Theory]
    [InlineData(31, "198.51.100.0")]
    [InlineData(127, "2001:db8:ff::")]
    public void a_point_to_point_prefix_has_neither(int length, string other)
    {
        // RFC 3021 and RFC 6164: on a /31 or /127 both addresses are the two ends', as Linux has them.
        var v6 = NetAddress.Parse(other).IsV6;
        var options = v6 ? Options with { UplinkPrefixLengthV6 = length } : Options with { UplinkPrefixLengthV4 = length };
        var lab = new EngineLab(["action=accept"], options: options);

        var sent = lab.FromWork(Packets.Udp(v6 ? Work6 : Work4, other, 40000, 53, payload: 20));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
    }

    [Fact]
    public void the_uplinks_answers_to_a_flow_still_come_back()
    {
        var lab = new EngineLab(["action=accept"], options: WithPrefix);
        var sent = lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), lab.Work);

        var answer = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, sent.Info.SourcePort, payload: 8));

        Assert.True(answer.Forwarded, answer.Reason.ToString());
    }
}
