using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using static Lethe.Domain.Tests.Models;

namespace Lethe.Domain.Tests;

public class ReferenceEvaluatorTests
{
    [Fact]
    public void the_first_matching_rule_decides()
    {
        var acceptFirst = OneClient("action=accept dst4=192.0.2.0/24", "action=drop dst4=192.0.2.5");
        var dropFirst = OneClient("action=drop dst4=192.0.2.5", "action=accept dst4=192.0.2.0/24");

        Assert.Equal(new Decision(RuleAction.Accept, "r1", "rule"), Evaluate(acceptFirst, Tcp("192.0.2.5", 80)));
        Assert.Equal(new Decision(RuleAction.Drop, "r1", "rule"), Evaluate(dropFirst, Tcp("192.0.2.5", 80)));
        Assert.Equal(new Decision(RuleAction.Accept, "r2", "rule"), Evaluate(dropFirst, Tcp("192.0.2.6", 80)));
    }

    [Fact]
    public void a_reject_rule_decides_with_reject()
    {
        var policy = OneClient("action=reject proto=tcp dstports=25", "action=accept");

        Assert.Equal(RuleAction.Reject, Evaluate(policy, Tcp("192.0.2.1", 25)).Action);
        Assert.Equal(RuleAction.Accept, Evaluate(policy, Tcp("192.0.2.1", 587)).Action);
    }

    [Fact]
    public void no_matching_rule_drops_with_no_rule_id()
    {
        var decision = Evaluate(OneClient("action=accept dst4=192.0.2.0/24"), Tcp("198.51.100.1", 443));

        Assert.Equal(RuleAction.Drop, decision.Action);
        Assert.Null(decision.RuleId);
        Assert.Equal(Decision.NoRuleMatched, decision.Reason);
    }

    [Fact]
    public void a_client_without_rules_gets_everything_dropped()
    {
        var decision = Evaluate(OneClient(), Udp("198.51.100.1", 53));

        Assert.False(decision.Accepts);
        Assert.Null(decision.RuleId);
    }

    [Fact]
    public void an_unknown_client_name_is_refused() =>
        Assert.Throws<ArgumentException>(() => Evaluate(OneClient("action=accept"), Tcp("192.0.2.1", 80), client: "nobody"));

    [Theory]
    [InlineData("action=accept dst4=0.0.0.0/0", "2001:db8::1")]
    [InlineData("action=accept dst4=0.0.0.0/0", "::ffff:192.0.2.1")]
    [InlineData("action=accept dst6=::/0", "192.0.2.1")]
    [InlineData("action=accept dst6=::ffff:0:0/96", "192.0.2.1")]
    public void a_destination_rule_never_matches_the_other_address_family(string rule, string destination) =>
        Assert.Null(Evaluate(OneClient(rule), Tcp(destination, 80)).RuleId);

    [Theory]
    [InlineData("action=accept", "192.0.2.1")]
    [InlineData("action=accept", "2001:db8::1")]
    [InlineData("action=accept proto=tcp dstports=443", "192.0.2.1")]
    [InlineData("action=accept proto=tcp dstports=443", "2001:db8::1")]
    public void a_rule_without_destination_matches_both_families(string rule, string destination) =>
        Assert.Equal("r1", Evaluate(OneClient(rule), Tcp(destination, 443)).RuleId);

    [Theory]
    [InlineData("192.0.2.1", FlowQuery.Icmp, true)]
    [InlineData("192.0.2.1", FlowQuery.IcmpV6, false)]
    [InlineData("2001:db8::1", FlowQuery.IcmpV6, true)]
    [InlineData("2001:db8::1", FlowQuery.Icmp, false)]
    public void proto_icmp_matches_the_icmp_of_the_destination_family(string destination, byte protocol, bool matches) =>
        Assert.Equal(matches, Evaluate(OneClient("action=accept proto=icmp"), Protocol(destination, protocol, 8)).Accepts);

    [Theory]
    [InlineData("192.0.2.1", FlowQuery.Icmp, 8, true)]
    [InlineData("192.0.2.1", FlowQuery.Icmp, 0, false)]
    [InlineData("2001:db8::1", FlowQuery.IcmpV6, 128, true)]
    [InlineData("2001:db8::1", FlowQuery.IcmpV6, 8, false)]
    public void icmptype_is_compared_with_the_type_of_the_packets_family(string destination, byte protocol, int type, bool matches)
    {
        var policy = OneClient("action=accept dst4=192.0.2.0/24 proto=icmp icmptype=8", "action=accept dst6=2001:db8::/32 proto=icmp icmptype=128");

        Assert.Equal(matches, Evaluate(policy, Protocol(destination, protocol, type)).Accepts);
    }

    [Theory]
    [InlineData(FlowQuery.Tcp, true)]
    [InlineData(FlowQuery.Udp, false)]
    [InlineData(FlowQuery.Icmp, false)]
    [InlineData((byte)47, false)]
    public void proto_tcp_matches_only_tcp(byte protocol, bool matches) =>
        Assert.Equal(matches, Evaluate(OneClient("action=accept proto=tcp"), new FlowQuery(System.Net.IPAddress.Parse("192.0.2.1"), protocol, 80)).Accepts);

    [Theory]
    [InlineData((byte)47)]
    [InlineData((byte)50)]
    [InlineData(FlowQuery.Udp)]
    public void a_rule_without_proto_matches_any_protocol(byte protocol) =>
        Assert.True(Evaluate(OneClient("action=accept dst4=192.0.2.0/24"), Protocol("192.0.2.1", protocol)).Accepts);

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(80, true)]
    [InlineData(1024, true)]
    [InlineData(1025, false)]
    [InlineData(65535, false)]
    public void dstports_matches_ports_inside_its_inclusive_range(int port, bool matches) =>
        Assert.Equal(matches, Evaluate(OneClient("action=accept proto=tcp dstports=1-1024"), Tcp("192.0.2.1", port)).Accepts);

    [Fact]
    public void a_single_port_rule_matches_that_port_only()
    {
        var policy = OneClient("action=accept proto=udp dstports=123");

        Assert.True(Evaluate(policy, Udp("192.0.2.1", 123)).Accepts);
        Assert.False(Evaluate(policy, Udp("192.0.2.1", 124)).Accepts);
        Assert.False(Evaluate(policy, Tcp("192.0.2.1", 123)).Accepts);
    }

    [Fact]
    public void a_dst4_network_written_with_host_bits_matches_the_whole_network()
    {
        var policy = OneClient("action=accept dst4=192.0.2.77/24");

        Assert.True(Evaluate(policy, Tcp("192.0.2.1", 80)).Accepts);
        Assert.False(Evaluate(policy, Tcp("192.0.3.1", 80)).Accepts);
    }

    [Fact]
    public void a_dst6_network_matches_addresses_under_its_prefix()
    {
        var policy = OneClient("action=drop dst6=2a00:1450:4000::/37 proto=tcp", "action=accept");

        Assert.False(Evaluate(policy, Tcp("2a00:1450:4001::5", 443)).Accepts);
        Assert.True(Evaluate(policy, Tcp("2a00:1450:4800::5", 443)).Accepts);
        Assert.True(Evaluate(policy, Udp("2a00:1450:4001::5", 443)).Accepts);
    }

    [Theory]
    [InlineData("udp", "10.139.1.1", 53, true)]
    [InlineData("tcp", "10.139.1.1", 53, true)]
    [InlineData("udp", "fd09:24ef:4179::a8b:1", 53, true)]
    [InlineData("udp", "8.8.8.8", 53, false)]
    [InlineData("udp", "10.139.1.1", 5353, false)]
    [InlineData("tcp", "10.139.1.1", 853, false)]
    public void specialtarget_dns_matches_only_the_configured_resolvers_on_port_53(string proto, string to, int port, bool matches)
    {
        var flow = proto == "tcp" ? Tcp(to, port) : Udp(to, port);

        Assert.Equal(matches, Evaluate(OneClient("action=accept specialtarget=dns"), flow).Accepts);
    }

    [Fact]
    public void specialtarget_dns_does_not_match_icmp_to_a_resolver() =>
        Assert.False(Evaluate(OneClient("action=accept specialtarget=dns"), Protocol("10.139.1.1", FlowQuery.Icmp, 8)).Accepts);

    [Fact]
    public void specialtarget_dns_with_proto_tcp_only_matches_tcp()
    {
        var policy = OneClient("action=drop proto=tcp specialtarget=dns", "action=accept");

        Assert.Equal(new Decision(RuleAction.Drop, "r1", "rule"), Evaluate(policy, Tcp("10.139.1.1", 53)));
        Assert.Equal("r2", Evaluate(policy, Udp("10.139.1.1", 53)).RuleId);
    }

    [Fact]
    public void with_no_resolvers_configured_specialtarget_dns_matches_nothing() =>
        Assert.False(Evaluate(OneClient("action=accept specialtarget=dns"), Udp("10.139.1.1", 53),
            new EvaluationEnvironment(RuleText.Now, [], new Dictionary<string, IReadOnlyList<System.Net.IPAddress>>())).Accepts);

    [Theory]
    [InlineData(RuleText.Now - 1, false)]
    [InlineData(RuleText.Now, false)]
    [InlineData(RuleText.Now + 1, true)]
    public void an_expired_rule_never_matches(long expire, bool matches) =>
        Assert.Equal(matches, Evaluate(OneClient($"action=accept expire={expire}"), Tcp("192.0.2.1", 80)).Accepts);

    [Fact]
    public void an_expired_drop_rule_lets_the_next_rule_decide()
    {
        var policy = OneClient($"action=drop expire={RuleText.Now - 60} dst4=192.0.2.0/24", "action=accept");

        Assert.Equal("r2", Evaluate(policy, Tcp("192.0.2.1", 80)).RuleId);
    }

    [Fact]
    public void a_relative_expire_stops_matching_once_its_seconds_have_passed()
    {
        var stored = RuleParser.Parse("action=accept expire=+60", RuleText.Now).ToString();
        var policy = OneClient(stored);

        Assert.True(Evaluate(policy, Tcp("192.0.2.1", 80), Environment(RuleText.Now + 59)).Accepts);
        Assert.False(Evaluate(policy, Tcp("192.0.2.1", 80), Environment(RuleText.Now + 60)).Accepts);
    }
}
