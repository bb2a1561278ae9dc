using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

public class PolicyRuleDecisionTests
{
    [Fact]
    public void an_added_rule_is_recorded_in_canonical_form_comment_included() =>
        Assert.Equal("action=accept proto=tcp dstports=22-22 comment=jump host",
            Policies.Work().AddRule("work", "r1", RuleText.Parse("dstports=22 action=accept proto=tcp comment=jump host"), null).Rule);

    [Fact]
    public void a_rule_for_an_unknown_client_is_refused_naming_the_client()
    {
        var refused = Assert.Throws<DomainException>(() => Policies.Work().AddRule("vault", "r1", RuleText.Parse("action=accept"), null));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("vault", refused.Message);
    }

    [Fact]
    public void a_rule_id_already_used_anywhere_in_the_policy_is_refused_as_a_conflict()
    {
        var policy = Policies.Work().WithClient("vault", "10.137.0.20").WithRules("work", "r1");

        var refused = Assert.Throws<DomainException>(() => policy.AddRule("vault", "r1", RuleText.Parse("action=drop"), null));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("r1", refused.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(100)]
    public void adding_at_a_position_out_of_range_is_refused_naming_the_position_and_the_range(int position)
    {
        var policy = Policies.Work().WithRules("work", "a", "b");

        var refused = Assert.Throws<DomainException>(() => policy.AddRule("work", "c", RuleText.Parse("action=drop"), position));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains($"Position {position}", refused.Message);
        Assert.Contains("0 to 2", refused.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void moving_to_a_position_out_of_range_is_refused_naming_the_position_and_the_range(int position)
    {
        var policy = Policies.Work().WithRules("work", "a", "b");

        var refused = Assert.Throws<DomainException>(() => policy.MoveRule("a", position));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains($"Position {position}", refused.Message);
        Assert.Contains("0 to 1", refused.Message);
    }

    /// <summary>A client of one rule was said to have "1 rules".</summary>
    [Fact]
    public void a_position_out_of_range_of_a_client_of_one_rule_counts_it_as_one_rule()
    {
        var policy = Policies.Work().WithRules("work", "a");

        var adding = Assert.Throws<DomainException>(() => policy.AddRule("work", "c", RuleText.Parse("action=drop"), 2));
        var moving = Assert.Throws<DomainException>(() => policy.MoveRule("a", 1));

        Assert.Equal("Position 2 is out of range: client work has 1 rule, so a new rule goes at 0 to 1.", adding.Message);
        Assert.Equal("Position 1 is out of range: client work has 1 rule (position 0).", moving.Message);
    }

    [Fact]
    public void moving_a_rule_to_where_it_already_is_is_refused()
    {
        var refused = Assert.Throws<DomainException>(() => Policies.Work().WithRules("work", "a", "b").MoveRule("b", 1));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("b", refused.Message);
    }

    [Fact]
    public void an_unknown_rule_id_is_refused_naming_it_for_remove_move_and_replace()
    {
        var policy = Policies.Work().WithRules("work", "a");

        foreach (var decide in new Func<object>[]
                 {
                     () => policy.RemoveRule("ghost"),
                     () => policy.MoveRule("ghost", 0),
                     () => policy.ReplaceRule("ghost", RuleText.Parse("action=drop")),
                 })
        {
            var refused = Assert.Throws<DomainException>(decide);
            Assert.Equal(Refusal.Unprocessable, refused.Refusal);
            Assert.Contains("ghost", refused.Message);
        }
    }

    [Fact]
    public void replacing_a_rule_with_the_same_text_is_refused()
    {
        var policy = Policies.Work().WithRule("work", "a", "action=accept proto=tcp dstports=80");

        var refused = Assert.Throws<DomainException>(() => policy.ReplaceRule("a", RuleText.Parse("proto=tcp action=accept dstports=80-80")));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
    }

    [Fact]
    public void replacing_a_long_rule_with_the_same_text_is_refused_quoting_its_start_and_length_not_all_of_it()
    {
        // A comment can run to a thousand characters; the refusal must stay one readable line.
        var rule = "action=accept comment=" + new string('c', Rules.RuleParser.MaxCommentCharacters);
        var policy = Policies.Work().WithRule("work", "a", rule);

        var refused = Assert.Throws<DomainException>(() => policy.ReplaceRule("a", RuleText.Parse(rule)));

        Assert.Equal($"Rule a already reads {QuotedText.Quote(rule)}.", refused.Message);
        Assert.EndsWith("...' (1,022 characters).", refused.Message);
    }

    [Fact]
    public void replacing_a_short_rule_with_the_same_text_quotes_it_whole() =>
        Assert.Equal("Rule a already reads 'action=accept proto=udp'.",
            Assert.Throws<DomainException>(() => Policies.Work().WithRule("work", "a", "action=accept proto=udp")
                .ReplaceRule("a", RuleText.Parse("proto=udp action=accept"))).Message);

    [Fact]
    public void replacing_records_the_text_before_and_after()
    {
        var replaced = Policies.Work().WithRule("work", "a", "action=accept").ReplaceRule("a", RuleText.Parse("action=drop"));

        Assert.Equal(new RuleReplaced("work", "a", "action=accept", "action=drop"), replaced);
    }

    [Fact]
    public void removing_records_the_text_of_the_removed_rule() =>
        Assert.Equal(new RuleRemoved("work", "a", "action=accept proto=udp"),
            Policies.Work().WithRule("work", "a", "action=accept proto=udp").RemoveRule("a"));

    [Fact]
    public void importing_nothing_without_replace_is_refused() =>
        Assert.Equal(Refusal.Unprocessable, Assert.Throws<DomainException>(() => Policies.Work().ImportRules("work", [], replace: false)).Refusal);

    [Fact]
    public void importing_a_rule_id_used_by_another_client_is_refused_as_a_conflict()
    {
        var policy = Policies.Work().WithClient("vault", "10.137.0.20").WithRules("vault", "v1");

        var refused = Assert.Throws<DomainException>(() => policy.ImportRules("work", [new DraftRule("v1", "action=accept")], replace: true));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("v1", refused.Message);
    }

    [Fact]
    public void importing_the_same_rule_id_twice_is_refused_as_a_conflict()
    {
        var refused = Assert.Throws<DomainException>(() =>
            Policies.Work().ImportRules("work", [new DraftRule("x", "action=accept"), new DraftRule("x", "action=drop")], replace: false));

        Assert.Equal(Refusal.Conflict, refused.Refusal);
        Assert.Contains("x", refused.Message);
    }

    [Fact]
    public void importing_with_replace_may_reuse_the_ids_of_the_rules_it_replaces()
    {
        var policy = Policies.Work().WithRules("work", "a", "b");

        var imported = policy.ImportRules("work", [new DraftRule("b", "action=drop"), new DraftRule("a", "action=accept")], replace: true);

        Assert.Equal(["b", "a"], policy.Fold(imported).RuleIds("work"));
    }

    [Fact]
    public void importing_without_replace_may_not_reuse_the_ids_of_existing_rules() =>
        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() =>
            Policies.Work().WithRules("work", "a").ImportRules("work", [new DraftRule("a", "action=drop")], replace: false)).Refusal);

    [Fact]
    public void a_duplicate_test_id_is_refused_as_a_conflict()
    {
        var test = new PolicyTest("t1", "work", "192.0.2.1", "tcp", 22, null, "drop");
        var policy = Policies.Work().Then(p => p.AddTest(test));

        Assert.Equal(Refusal.Conflict, Assert.Throws<DomainException>(() => policy.AddTest(test with { Port = 23 })).Refusal);
    }

    [Fact]
    public void a_test_for_an_unknown_client_or_removing_an_unknown_test_is_refused()
    {
        Assert.Throws<DomainException>(() => Policies.Work().AddTest(new PolicyTest("t1", "vault", "192.0.2.1", null, null, null, "drop")));
        Assert.Contains("t9", Assert.Throws<DomainException>(() => Policies.Work().RemoveTest("t9")).Message);
    }
}
