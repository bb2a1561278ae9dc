using System.Net;
using System.Net.Sockets;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using static Lethe.Domain.Tests.Models;

namespace Lethe.Domain.Tests;

public class DsthostEvaluationTests
{
    private static readonly Dictionary<string, IReadOnlyList<IPAddress>> Resolved = new()
    {
        ["updates.example"] = [IPAddress.Parse("192.0.2.7"), IPAddress.Parse("2001:db8::7")],
        ["nothing.example"] = [],
    };

    [Theory]
    [InlineData("192.0.2.7", true)]
    [InlineData("2001:db8::7", true)]
    [InlineData("192.0.2.8", false)]
    [InlineData("2001:db8::8", false)]
    public void a_resolved_dsthost_matches_exactly_its_addresses(string destination, bool matches) =>
        Assert.Equal(matches, Evaluate(OneClient("action=accept dsthost=updates.example"), Tcp(destination, 443), Environment(resolved: Resolved)).Accepts);

    [Fact]
    public void an_unresolved_accept_dsthost_matches_nothing_but_leaves_the_other_rules_working()
    {
        var policy = OneClient("action=accept dsthost=down.example", "action=accept dst4=198.51.100.0/24");

        Assert.Equal("r2", Evaluate(policy, Tcp("198.51.100.1", 443), Environment(resolved: Resolved)).RuleId);
        Assert.Null(Evaluate(policy, Tcp("192.0.2.7", 443), Environment(resolved: Resolved)).RuleId);
    }

    [Fact]
    public void an_unresolved_drop_dsthost_blocks_the_whole_client_even_flows_an_earlier_accept_allows()
    {
        var policy = OneClient("action=accept dst4=198.51.100.0/24", "action=drop dsthost=down.example", "action=accept");

        var decision = Evaluate(policy, Tcp("198.51.100.1", 443), Environment(resolved: Resolved));

        Assert.Equal(RuleAction.Drop, decision.Action);
        Assert.Equal("r2", decision.RuleId);
        Assert.Contains("down.example", decision.Reason);
        Assert.False(Evaluate(policy, Udp("10.139.1.1", 53), Environment(resolved: Resolved)).Accepts);
        Assert.False(Evaluate(policy, Tcp("2001:db8::1", 80), Environment(resolved: Resolved)).Accepts);
    }

    [Fact]
    public void an_unresolved_reject_dsthost_also_blocks_the_whole_client() =>
        Assert.False(Evaluate(OneClient("action=accept", "action=reject dsthost=down.example"), Tcp("198.51.100.1", 443), Environment(resolved: Resolved)).Accepts);

    [Fact]
    public void once_the_name_resolves_the_drop_rule_only_drops_its_addresses()
    {
        var policy = OneClient("action=drop dsthost=updates.example", "action=accept");

        Assert.Equal("r1", Evaluate(policy, Tcp("192.0.2.7", 443), Environment(resolved: Resolved)).RuleId);
        Assert.True(Evaluate(policy, Tcp("192.0.2.8", 443), Environment(resolved: Resolved)).Accepts);
    }

    [Fact]
    public void a_drop_dsthost_that_resolved_to_no_address_blocks_nothing() =>
        Assert.True(Evaluate(OneClient("action=drop dsthost=nothing.example", "action=accept"), Tcp("192.0.2.1", 443), Environment(resolved: Resolved)).Accepts);

    [Fact]
    public void an_expired_unresolved_drop_dsthost_does_not_block_the_client() =>
        Assert.True(Evaluate(OneClient($"action=drop expire={RuleText.Now - 1} dsthost=down.example", "action=accept"), Tcp("192.0.2.1", 443), Environment(resolved: Resolved)).Accepts);

    [Fact]
    public void a_drop_dsthost_answered_for_ipv4_only_blocks_the_clients_ipv6_traffic_and_nothing_else()
    {
        // The A query answered, the AAAA query failed: the firewall's resolver leaves the name unresolved for IPv6 only.
        var policy = OneClient("action=drop dsthost=tracker.example", "action=accept");
        var environment = Environment(resolved: new() { ["tracker.example"] = [IPAddress.Parse("192.0.2.66")] }) with
        {
            OneFamilyOnly = new Dictionary<string, AddressFamily> { ["tracker.example"] = AddressFamily.InterNetwork },
        };

        var v6 = Evaluate(policy, Tcp("2001:db8::1", 443), environment);
        Assert.Equal(new Decision(RuleAction.Drop, "r1", v6.Reason), v6);
        Assert.Contains("tracker.example", v6.Reason);
        Assert.True(Evaluate(policy, Tcp("192.0.2.1", 443), environment).Accepts);
        Assert.Equal("r1", Evaluate(policy, Tcp("192.0.2.66", 443), environment).RuleId);
        Assert.False(Evaluate(policy, Tcp("192.0.2.66", 443), environment).Accepts);
    }
}
