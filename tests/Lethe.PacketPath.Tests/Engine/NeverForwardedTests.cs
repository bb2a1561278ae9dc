using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Multicast, broadcast, loopback and unspecified destinations are never forwarded, not even under
/// an accept-everything policy (the Qubes default): a client's mDNS, LLMNR and SSDP chatter stays
/// off the uplink, opens no flow, takes no NAT port and draws no ICMP answer.
/// </summary>
public class NeverForwardedTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData("224.0.0.251", 5353)]
    [InlineData("239.255.255.250", 1900)]
    [InlineData("255.255.255.255", 67)]
    [InlineData("127.0.0.1", 53)]
    [InlineData("0.0.0.0", 53)]
    [InlineData("ff02::fb", 5353)]
    [InlineData("ff02::1:3", 5355)]
    [InlineData("ff05::c", 1900)]
    [InlineData("::1", 53)]
    [InlineData("169.254.1.1", 53)]
    [InlineData("fe80::1", 53)]
    [InlineData("febf::1", 53)]
    [InlineData("::ffff:192.0.2.5", 53)]
    [InlineData("::ffff:10.137.0.6", 53)]
    public void a_clients_datagram_to_such_an_address_stays_inside(string destination, ushort port)
    {
        var source = NetAddress.Parse(destination).IsV6 ? Work6 : Work4;

        AssertStaysInside(_lab.FromWork(Packets.Udp(source, destination, port, port, payload: 20)));
    }

    [Theory]
    [InlineData("fe80::5", "ff02::fb", 5353)]   // mDNS from the link-local address
    [InlineData("::", "ff02::1:ff00:5", 547)]   // from the unspecified address, as duplicate address detection sends
    [InlineData("fe80::5", "ff02::2", 547)]     // to the routers
    [InlineData("169.254.7.7", "224.0.0.251", 5353)]
    public void a_clients_link_chatter_from_addresses_it_does_not_own_is_never_forwarded_not_spoofing(string source, string destination, ushort port) =>
        AssertStaysInside(_lab.FromWork(Packets.Udp(source, destination, port, port, payload: 20)));

    [Theory]
    [InlineData("::ffff:10.137.0.5", Remote6)]
    [InlineData("::ffff:192.0.2.5", Remote6)]
    public void a_clients_packet_from_an_ipv4_mapped_source_is_never_forwarded(string source, string destination) =>
        AssertStaysInside(_lab.FromWork(Packets.Udp(source, destination, 40000, 53, payload: 20)));

    /// <summary>
    /// ::ffff:0:0/96 is not forwardable (RFC 6890's registry), but a stateless translator upstream
    /// (SIIT) would carry such a packet to the IPv4 address inside it, past every dst4 rule.
    /// </summary>
    [Theory]
    [InlineData(Work6)]
    [InlineData("::ffff:10.137.0.5")]
    public void a_drop_rule_for_an_ipv4_address_is_not_dodged_by_its_ipv4_mapped_form(string source)
    {
        var lab = new EngineLab(["action=drop dst4=192.0.2.5", "action=accept"]);

        var sent = lab.FromWork(Packets.Tcp(source, "::ffff:192.0.2.5", 40000, 443, TcpFlags.Syn));

        Assert.Equal((false, DropReason.NeverForwarded), (sent.Forwarded, sent.Reason));
        Assert.Empty(sent.Reply);
        Assert.Equal(0, lab.Engine.Connections.Count);
        Assert.Equal(0, lab.Engine.Policy.RuleHits[lab.Work][1]);
    }

    [Fact]
    public void an_answer_from_an_ipv4_mapped_source_is_not_let_back_in()
    {
        var sent = _lab.FromWork(Packets.Udp(Work6, "::ffff:192.0.2.5", 40000, 53, payload: 8));
        var natPort = sent.Forwarded ? sent.Info.SourcePort : (ushort)40000;

        var answer = _lab.FromUplink(Packets.Udp("::ffff:192.0.2.5", Uplink6, 53, natPort, payload: 8));

        Assert.Equal((false, DropReason.NeverForwarded), (answer.Forwarded, answer.Reason));
    }

    private void AssertStaysInside(Sent sent)
    {
        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.NeverForwarded, sent.Reason);
        Assert.Empty(sent.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
        Assert.Equal(0, _lab.Engine.Policy.RuleHits[_lab.Work][0]);
    }

    [Theory]
    [InlineData(Work4, "224.0.0.251")]
    [InlineData(Work6, "ff02::1:3")]
    public void a_multicast_datagram_whose_hop_limit_ends_here_draws_no_time_exceeded(string source, string destination)
    {
        var sent = _lab.FromWork(Packets.Udp(source, destination, 5355, 5355, payload: 20, ttl: 1));

        Assert.Equal(DropReason.NeverForwarded, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void a_client_refused_by_its_rules_gets_no_prohibited_answer_for_multicast()
    {
        var lab = new EngineLab(["action=accept proto=tcp"]);

        var sent = lab.FromWork(Packets.Udp(Work4, "224.0.0.251", 5353, 5353, payload: 20));
        var unicast = lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 5353, payload: 20));

        Assert.Equal(DropReason.NeverForwarded, sent.Reason);
        Assert.Empty(sent.Reply);
        Assert.Equal(DropReason.NoRuleMatched, unicast.Reason);
        Assert.NotEmpty(unicast.Reply);
    }

    [Fact]
    public void multicast_from_the_uplink_is_named_for_what_it_is()
    {
        var sent = _lab.FromUplink(Packets.Udp(Remote4, "224.0.0.1", 5353, 5353, payload: 20));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.NeverForwarded, sent.Reason);
    }

    [Theory]
    [InlineData(Work4, Uplink4)]
    [InlineData(Work6, Uplink6)]
    public void a_clients_packet_to_the_firewalls_own_uplink_address_is_dropped_though_its_rules_accept_all(string source, string firewall)
    {
        var lab = new EngineLab(["action=accept"]);

        var sent = lab.FromWork(Packets.Udp(source, firewall, 5353, 53, payload: 8));

        Assert.Equal((false, DropReason.AddressedToFirewall), (sent.Forwarded, sent.Reason));
        Assert.Equal(0, lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_unicast_datagram_still_leaves()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 5353, payload: 20));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(1, _lab.Engine.Connections.Count);
    }

    [Theory]
    [InlineData(Remote4, "224.0.0.251")]
    [InlineData(Remote4, "255.255.255.255")]
    [InlineData(Remote6, "ff02::fb")]
    public void the_firewall_builds_no_error_or_reset_about_a_packet_to_such_an_address(string source, string destination)
    {
        var reply = new byte[2048];
        var datagram = Packets.Udp(source, destination, 5353, 5353, payload: 20);
        var segment = Packets.Tcp(source, destination, 40000, 80, TcpFlags.Syn);
        var from = NetAddress.Parse(source).IsV6 ? Address(Uplink6) : Address(Uplink4);

        Assert.Equal(0, Replies.IcmpError(datagram, Packets.Parse(datagram), from, 3, 13, 0, reply));
        Assert.Equal(0, Replies.TcpReset(segment, Packets.Parse(segment), reply));
    }

    [Fact]
    public void the_same_error_and_reset_are_built_for_a_unicast_destination()
    {
        var reply = new byte[2048];
        var datagram = Packets.Udp(Work4, Remote4, 5353, 5353, payload: 20);
        var segment = Packets.Tcp(Work4, Remote4, 40000, 80, TcpFlags.Syn);

        Assert.True(Replies.IcmpError(datagram, Packets.Parse(datagram), Address(Uplink4), 3, 13, 0, reply) > 0);
        Assert.True(Replies.TcpReset(segment, Packets.Parse(segment), reply) > 0);
    }

    private static NetAddress Address(string text) => NetAddress.Parse(text);

    [Fact]
    public void a_link_local_source_from_the_uplink_is_not_forwarded_into_a_flow()
    {
        var natPort = _lab.Through(Packets.Udp(Work6, Remote6, 40000, 53, payload: 8), _lab.Work).Info.SourcePort;

        var fromLinkLocal = _lab.FromUplink(Packets.Udp("fe80::99", Uplink6, 53, natPort, payload: 8));

        Assert.Equal(DropReason.NeverForwarded, fromLinkLocal.Reason);
    }

    [Fact]
    public void fe80_10_is_link_local_and_fec0_is_not()
    {
        Assert.True(NetAddress.Parse("febf:ffff::1").IsLinkLocal);
        Assert.False(NetAddress.Parse("fec0::1").IsLinkLocal);
        Assert.False(NetAddress.Parse("169.253.255.255").IsLinkLocal);
        Assert.True(NetAddress.Parse("169.254.255.255").IsLinkLocal);
    }

    [Theory]
    [InlineData(Work4, Uplink4)]
    [InlineData(Work6, Uplink6)]
    public void a_clients_connection_to_the_firewalls_own_address_is_refused_out_loud_not_left_to_hang(string source, string firewall)
    {
        var lab = new EngineLab(["action=accept"]);

        var sent = lab.FromWork(Packets.Tcp(source, firewall, 40000, 22, TcpFlags.Syn));

        Assert.Equal(DropReason.AddressedToFirewall, sent.Reason);
        Assert.True(sent.Reply.Length > 0, "the client's connect() to the firewall's address got no answer and hangs until it times out");
        Assert.Equal(NetAddress.Parse(source), sent.ReplyInfo.Destination);
        Assert.Equal(NetAddress.Parse(firewall), sent.ReplyInfo.Source);
    }
}
