using System.Net;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Tests;

public class PolicyTestRunnerTests
{
    private static readonly IReadOnlyList<IPAddress> Resolvers = [IPAddress.Parse("10.139.1.1")];

    private static PolicyTestResult RunOne(string[] rules, PolicyTest test, long now = RuleText.Now)
    {
        var draft = new DraftContent(
            [
                new ClientDraft("work", ["10.137.0.10", "fd09::10"], rules.Select((r, i) => new DraftRule($"r{i + 1}", r)).ToArray()),
                new ClientDraft("vault", ["10.137.0.20"], []),
            ],
            [test]);
        return Assert.Single(PolicyTestRunner.Run("p", draft, now, Resolvers));
    }

    private static PolicyTest Test(string to, string? proto, int? port, string expect, int? icmpType = null) =>
        new("t1", "work", to, proto, port, icmpType, expect);

    [Fact]
    public void a_test_passes_when_the_decision_matches_its_expectation_and_names_the_deciding_rule()
    {
        var result = RunOne(["action=drop proto=tcp dstports=22", "action=accept"], Test("192.0.2.1", "tcp", 443, "accept"));

        Assert.True(result.Passed);
        Assert.Equal("r2", result.Decision.RuleId);
    }

    [Fact]
    public void a_test_fails_when_the_decision_differs_and_describes_why()
    {
        var result = RunOne(["action=drop proto=tcp dstports=22", "action=accept"], Test("192.0.2.1", "tcp", 22, "accept"));

        Assert.False(result.Passed);
        Assert.Equal("test t1 (work -> 192.0.2.1 tcp port 22): expected accept, got drop by rule r1", result.Describe());
    }

    [Fact]
    public void a_failure_by_the_default_drop_says_no_rule_matched() =>
        Assert.Contains("got drop (no rule matched)", RunOne(["action=accept dst4=198.51.100.0/24"], Test("192.0.2.1", "udp", 53, "accept")).Describe());

    [Fact]
    public void a_reject_satisfies_a_test_expecting_drop() =>
        Assert.True(RunOne(["action=reject proto=tcp dstports=25"], Test("192.0.2.1", "tcp", 25, "drop")).Passed);

    [Theory]
    [InlineData("224.0.0.251", "udp", 5353, null, "never forwarded")]
    [InlineData("255.255.255.255", "udp", 67, null, "never forwarded")]
    [InlineData("127.0.0.1", "tcp", 22, null, "never forwarded")]
    [InlineData("169.254.169.254", "tcp", 80, null, "never forwarded")]
    [InlineData("0.1.2.3", "tcp", 80, null, "never forwarded")]
    [InlineData("ff02::fb", "udp", 5353, null, "never forwarded")]
    [InlineData("fe80::1", "tcp", 22, null, "never forwarded")]
    [InlineData("::1", "tcp", 22, null, "never forwarded")]
    [InlineData("::ffff:192.0.2.1", "tcp", 443, null, "never forwarded")]
    [InlineData("192.0.2.1", "icmp", null, 0, "ICMP type 0 cannot open a flow")]
    [InlineData("192.0.2.1", "icmp", null, 3, "ICMP type 3 cannot open a flow")]
    [InlineData("2001:db8::1", "icmp", null, 129, "ICMP type 129 cannot open a flow")]
    [InlineData("2001:db8::1", "icmp", null, 135, "ICMP type 135 cannot open a flow")]
    public void a_test_of_traffic_the_firewall_drops_before_any_rule_gets_drop_whatever_the_rules_say(string to, string proto, int? port, int? icmpType, string why)
    {
        var expectingAccept = RunOne(["action=accept"], Test(to, proto, port, "accept", icmpType));
        var expectingDrop = RunOne(["action=accept"], Test(to, proto, port, "drop", icmpType));

        Assert.False(expectingAccept.Passed);
        Assert.Contains($"expected accept, got drop ({why}", expectingAccept.Describe());
        Assert.True(expectingDrop.Passed);
    }

    [Theory]
    [InlineData("192.0.2.1", 13)]
    [InlineData("192.0.2.1", 17)]
    [InlineData("2001:db8::1", 139)]
    [InlineData("223.255.255.255", null)]
    [InlineData("240.0.0.1", null)]
    [InlineData("fec0::1", null)]
    public void requests_and_ordinary_addresses_are_left_to_the_rules(string to, int? icmpType) =>
        Assert.True(RunOne(["action=accept"], Test(to, "icmp", null, "accept", icmpType)).Passed);

    [Fact]
    public void an_icmp_test_to_an_ipv6_address_is_checked_as_icmpv6()
    {
        Assert.True(RunOne(["action=accept proto=icmp icmptype=128"], Test("2001:db8::1", "icmp", null, "accept")).Passed);
        Assert.True(RunOne(["action=accept proto=icmp icmptype=8"], Test("192.0.2.1", "icmp", null, "accept")).Passed);
        Assert.False(RunOne(["action=accept proto=icmp icmptype=8"], Test("192.0.2.1", "icmp", null, "accept", icmpType: 0)).Passed);
    }

    [Fact]
    public void specialtarget_dns_is_checked_against_the_given_resolvers()
    {
        Assert.True(RunOne(["action=accept specialtarget=dns"], Test("10.139.1.1", "udp", 53, "accept")).Passed);
        Assert.True(RunOne(["action=accept specialtarget=dns"], Test("8.8.8.8", "udp", 53, "drop")).Passed);
    }

    [Fact]
    public void a_dsthost_rule_neither_opens_nor_blocks_the_addresses_a_test_names()
    {
        Assert.True(RunOne(["action=drop dsthost=tracker.example", "action=accept"], Test("192.0.2.1", "tcp", 443, "accept")).Passed);
        Assert.True(RunOne(["action=accept dsthost=updates.example"], Test("192.0.2.1", "tcp", 443, "drop")).Passed);
    }

    [Fact]
    public void expire_is_judged_at_the_given_time()
    {
        var rules = new[] { $"action=accept expire={RuleText.Now + 60} proto=tcp" };

        Assert.True(RunOne(rules, Test("192.0.2.1", "tcp", 80, "accept"), RuleText.Now).Passed);
        Assert.True(RunOne(rules, Test("192.0.2.1", "tcp", 80, "drop"), RuleText.Now + 60).Passed);
    }

    [Fact]
    public void another_client_stays_isolated_in_tests_unless_a_rule_names_it()
    {
        Assert.True(RunOne(["action=accept"], Test("10.137.0.20", "tcp", 22, "drop")).Passed);
        Assert.True(RunOne(["action=accept dst4=10.137.0.20"], Test("10.137.0.20", "tcp", 22, "accept")).Passed);
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("accept")]
    public void a_stored_test_whose_address_this_build_no_longer_reads_fails_naming_it(string expect)
    {
        // An older parser took a leading zero in an embedded IPv4 part; this one refuses it.
        var result = RunOne(["action=drop"], Test("::ffff:1.2.3.010", "tcp", 443, expect));

        Assert.False(result.Passed);
        Assert.Contains("'::ffff:1.2.3.010' is not an address this build reads", result.Describe());
    }

    [Fact]
    public void comments_in_the_draft_do_not_change_the_outcome() =>
        Assert.True(RunOne(["action=accept proto=tcp dstports=443 comment=web"], Test("192.0.2.1", "tcp", 443, "accept")).Passed);

    [Theory]
    [InlineData("tcp", FlowQuery.Tcp)]
    [InlineData("udp", FlowQuery.Udp)]
    [InlineData(null, FlowQuery.Tcp)]
    public void a_test_becomes_a_flow_of_its_protocol_and_port(string? proto, byte protocol) =>
        Assert.Equal(new FlowQuery(IPAddress.Parse("192.0.2.1"), protocol, 8080), PolicyTestRunner.ToFlow(Test("192.0.2.1", proto, 8080, "accept")));

    [Fact]
    public void every_test_of_the_draft_gets_a_result_in_order()
    {
        var draft = new DraftContent(
            [new ClientDraft("work", ["10.137.0.10"], [new DraftRule("r1", "action=accept proto=tcp")])],
            [Test("192.0.2.1", "tcp", 1, "accept") with { Id = "a" }, Test("192.0.2.1", "udp", 1, "accept") with { Id = "b" }]);

        var results = PolicyTestRunner.Run("p", draft, RuleText.Now, Resolvers);

        Assert.Equal([("a", true, RuleAction.Accept), ("b", false, RuleAction.Drop)], results.Select(r => (r.Test.Id, r.Passed, r.Decision.Action)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    [InlineData(null)]
    public void a_test_stored_without_a_port_fails_instead_of_passing_where_every_port_is_dropped(string? proto)
    {
        var result = RunOne(["action=drop proto=tcp dstports=0-65535", "action=drop proto=udp dstports=0-65535", "action=accept"],
            Test("192.0.2.1", proto, null, "accept"));

        Assert.False(result.Passed);
        Assert.StartsWith("the test cannot run: it names no port", result.Decision.Reason);
    }

    [Theory]
    [InlineData("2001:db8::1", "IPv6")]
    public void a_client_without_an_address_of_the_destinations_family_is_dropped_as_spoofed_not_accepted(string to, string family)
    {
        var draft = new DraftContent([new ClientDraft("work", ["10.137.0.10"], [new DraftRule("r1", "action=accept")])], [Test(to, "tcp", 443, "accept")]);

        var result = Assert.Single(PolicyTestRunner.Run("p", draft, RuleText.Now, Resolvers));

        Assert.False(result.Passed);
        Assert.Equal(RuleAction.Drop, result.Decision.Action);
        Assert.Equal($"client work has no {family} address: the firewall drops its packets of that family as spoofed", result.Decision.Reason);
    }

    [Fact]
    public void a_stored_rule_this_build_refuses_is_named_when_the_draft_is_sealed()
    {
        var policy = Policies.Work().Fold(new RuleAdded("work", "r-0123456789", "action=drop dsthost=10.1", 0));

        var refused = Assert.Throws<DomainException>(() => policy.SealableContent());

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.StartsWith("Client work, rule r-0123456789 (action=drop dsthost=10.1): dsthost '10.1' looks like", refused.Message);
        Assert.EndsWith("This build no longer takes that rule: replace or remove it.", refused.Message);
    }
}
