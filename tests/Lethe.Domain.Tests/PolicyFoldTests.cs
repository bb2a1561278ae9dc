using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

public class PolicyFoldTests
{
    [Fact]
    public void rules_added_without_position_are_appended_in_order() =>
        Assert.Equal(["a", "b", "c"], Policies.Work().WithRules("work", "a", "b", "c").RuleIds("work"));

    [Theory]
    [InlineData(0, new[] { "x", "a", "b", "c" })]
    [InlineData(1, new[] { "a", "x", "b", "c" })]
    [InlineData(3, new[] { "a", "b", "c", "x" })]
    public void a_rule_added_at_a_position_is_inserted_there_and_the_rest_move_down(int position, string[] order)
    {
        var policy = Policies.Work().WithRules("work", "a", "b", "c").WithRule("work", "x", "action=drop", position);

        Assert.Equal(order, policy.RuleIds("work"));
        Assert.Equal("action=drop", policy.TextOf("x"));
    }

    [Theory]
    [InlineData("a", 3, new[] { "b", "c", "d", "a" })]
    [InlineData("d", 0, new[] { "d", "a", "b", "c" })]
    [InlineData("b", 2, new[] { "a", "c", "b", "d" })]
    [InlineData("c", 0, new[] { "c", "a", "b", "d" })]
    public void a_moved_rule_ends_up_at_its_new_position(string id, int position, string[] order) =>
        Assert.Equal(order, Policies.Work().WithRules("work", "a", "b", "c", "d").Then(p => p.MoveRule(id, position)).RuleIds("work"));

    [Fact]
    public void a_replaced_rule_keeps_its_id_and_position_and_takes_the_new_text()
    {
        var policy = Policies.Work().WithRules("work", "a", "b", "c").Then(p => p.ReplaceRule("b", RuleText.Parse("action=drop proto=udp")));

        Assert.Equal(["a", "b", "c"], policy.RuleIds("work"));
        Assert.Equal("action=drop proto=udp", policy.TextOf("b"));
        Assert.Equal("action=accept dst4=192.0.2.1/32", policy.TextOf("a"));
    }

    [Fact]
    public void a_removed_rule_is_gone_and_the_others_keep_their_order() =>
        Assert.Equal(["a", "c"], Policies.Work().WithRules("work", "a", "b", "c").Then(p => p.RemoveRule("b")).RuleIds("work"));

    [Fact]
    public void rule_changes_touch_only_their_own_client()
    {
        var policy = Policies.Work().WithClient("vault", "10.137.0.20").WithRules("vault", "v1", "v2")
            .WithRules("work", "a", "b").Then(p => p.MoveRule("a", 1)).Then(p => p.RemoveRule("b"));

        Assert.Equal(["v1", "v2"], policy.RuleIds("vault"));
        Assert.Equal(["a"], policy.RuleIds("work"));
    }

    [Fact]
    public void importing_without_replace_appends_after_the_existing_rules()
    {
        var policy = Policies.Work().WithRules("work", "a")
            .Then(p => p.ImportRules("work", [new DraftRule("i1", "action=accept proto=tcp"), new DraftRule("i2", "action=drop")], replace: false));

        Assert.Equal(["a", "i1", "i2"], policy.RuleIds("work"));
        Assert.Equal("action=drop", policy.TextOf("i2"));
    }

    [Fact]
    public void importing_with_replace_leaves_only_the_imported_rules()
    {
        var policy = Policies.Work().WithRules("work", "a", "b")
            .Then(p => p.ImportRules("work", [new DraftRule("i1", "action=drop")], replace: true));

        Assert.Equal(["i1"], policy.RuleIds("work"));
    }

    [Fact]
    public void tests_are_added_and_removed_by_id()
    {
        var ssh = new PolicyTest("ssh", "work", "192.0.2.1", "tcp", 22, null, "drop");
        var web = new PolicyTest("web", "work", "192.0.2.1", "tcp", 443, null, "accept");

        var policy = Policies.Work().Then(p => p.AddTest(ssh)).Then(p => p.AddTest(web)).Then(p => p.RemoveTest("ssh"));

        Assert.Equal([web], policy.Draft.Tests);
    }

    [Fact]
    public void folding_an_unknown_event_leaves_the_policy_as_it_was()
    {
        var policy = Policies.Work().WithRules("work", "a");

        Assert.Same(policy, policy.Fold("not an event"));
    }

    [Fact]
    public void an_import_of_no_rules_is_refused_also_with_replace()
    {
        var policy = Policies.Work().WithRule("work", "web", "action=accept proto=tcp dstports=443");

        var plain = Assert.Throws<DomainException>(() => policy.ImportRules("work", [], replace: false));
        var replacing = Assert.Throws<DomainException>(() => policy.ImportRules("work", [], replace: true));

        Assert.Equal("The import holds no rules.", plain.Message);
        Assert.Contains("with replace it would remove all 1 rule(s) of work", replacing.Message);
    }
}
