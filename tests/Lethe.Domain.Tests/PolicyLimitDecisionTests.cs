using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;
using static Lethe.Domain.Tests.Policies;

namespace Lethe.Domain.Tests;

/// <summary>
/// A draft edit that would make the policy unpublishable under <see cref="SnapshotLimits"/> is refused
/// when it is made, not at the next publish; a draft already beyond a limit (from before) still folds
/// and can be brought back within it.
/// </summary>
public class PolicyLimitDecisionTests
{
    private const int Max = SnapshotLimits.MaxRulesPerClient;

    private static DraftRule[] Rules(int count, string prefix = "r") =>
        [.. Enumerable.Range(0, count).Select(i => new DraftRule($"{prefix}{i}", $"action=accept dst4=10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32"))];

    /// <summary>Client work holding <paramref name="count"/> rules, folded from the log as an import, whatever the count.</summary>
    private static Policy WorkWith(int count) => Work().Fold(new RulesImported("work", false, Rules(count)));

    private static void AssertRefusedNaming(DomainException refused, int reached)
    {
        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("client work of policy p", refused.Message);
        Assert.Contains($"{reached} rules", refused.Message);
        Assert.Contains($"at most {Max} per client", refused.Message);
    }

    [Fact]
    public void a_rule_added_to_a_client_at_the_limit_is_refused_naming_the_client_the_count_and_the_limit()
    {
        var full = WorkWith(Max);

        var refused = Assert.Throws<DomainException>(() => full.AddRule("work", "one-more", RuleText.Parse("action=drop"), null));

        AssertRefusedNaming(refused, Max + 1);
        Assert.Equal(Max, WorkWith(Max - 1).WithRule("work", "last", "action=drop").Draft.FindClient("work")!.Rules.Count);
    }

    [Fact]
    public void an_import_that_would_take_a_client_past_the_limit_is_refused()
    {
        var half = WorkWith(Max / 2);

        var refused = Assert.Throws<DomainException>(() => half.ImportRules("work", Rules(Max / 2 + 1, "i"), replace: false));

        AssertRefusedNaming(refused, Max + 1);
        Assert.Equal(Max, half.Fold(half.ImportRules("work", Rules(Max / 2, "i"), replace: false)).Draft.FindClient("work")!.Rules.Count);
    }

    [Fact]
    public void an_import_replacing_a_clients_rules_with_more_than_the_limit_is_refused_and_one_of_the_limit_is_taken()
    {
        var few = WorkWith(3);

        var refused = Assert.Throws<DomainException>(() => few.ImportRules("work", Rules(Max + 1, "i"), replace: true));

        AssertRefusedNaming(refused, Max + 1);
        // Replacing counts only what the client is left with: an import of the limit into a full client is taken.
        var full = WorkWith(Max);
        Assert.Equal(Max, full.Fold(full.ImportRules("work", Rules(Max, "i"), replace: true)).Draft.FindClient("work")!.Rules.Count);
    }

    [Fact]
    public void a_client_added_to_a_policy_with_as_many_clients_as_a_firewall_tells_apart_is_refused()
    {
        var clients = Enumerable.Range(0, SnapshotLimits.MaxClients)
            .Select(c => (object)new ClientAdded($"c{c}", [$"10.{c >> 16 & 255}.{c >> 8 & 255}.{c & 255}"]));
        var full = New().FoldAll(clients);

        var refused = Assert.Throws<DomainException>(() => full.AddClient("one-more", ["192.0.2.1"]));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("one-more", refused.Message);
        Assert.Contains($"{SnapshotLimits.MaxClients + 1} clients", refused.Message);
        Assert.Contains($"at most {SnapshotLimits.MaxClients}", refused.Message);
        var roomForOne = New().FoldAll(clients.Take(SnapshotLimits.MaxClients - 1));
        Assert.Equal(SnapshotLimits.MaxClients, roomForOne.WithClient("last", "192.0.2.1").Draft.Clients.Count);
    }

    [Fact]
    public void restoring_the_draft_of_a_version_beyond_the_limit_is_refused()
    {
        // Published by a build that did not check the limit: the domain's publish leaves limits to sealing.
        var old = WorkWith(Max + 1).Published();
        var trimmed = old.Then(p => p.RemoveRule("r0"));

        var refused = Assert.Throws<DomainException>(() => trimmed.RestoreDraft(DateTimeOffset.UtcNow, 1, old.Draft));

        AssertRefusedNaming(refused, Max + 1);
    }

    [Fact]
    public void a_draft_already_beyond_the_limit_still_loses_moves_and_rewrites_rules_but_gains_none()
    {
        var over = WorkWith(Max + 5);

        var trimmed = over.Then(p => p.RemoveRule("r0")).Then(p => p.MoveRule("r1", 3)).Then(p => p.ReplaceRule("r2", RuleText.Parse("action=drop")));

        Assert.Equal(Max + 4, trimmed.Draft.FindClient("work")!.Rules.Count);
        Assert.Equal("action=drop", trimmed.TextOf("r2"));
        AssertRefusedNaming(Assert.Throws<DomainException>(() => trimmed.AddRule("work", "x", RuleText.Parse("action=drop"), 0)), Max + 5);
        Assert.Empty(trimmed.Then(p => p.RemoveClient("work")).Draft.Clients);
    }

    [Fact]
    public void a_test_added_to_a_client_holding_the_most_tests_is_refused_and_other_clients_still_take_theirs()
    {
        static PolicyTest TestOf(string client, int i) => new($"t-{client}-{i}", client, "192.0.2.1", "tcp", i + 1, null, "accept");
        var full = Work().WithClient("home", "10.137.0.11")
            .FoldAll(Enumerable.Range(0, PolicyTest.MaxPerClient).Select(i => (object)new PolicyTestAdded(TestOf("work", i))));

        var refused = Assert.Throws<DomainException>(() => full.AddTest(TestOf("work", PolicyTest.MaxPerClient)));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("client work of policy p", refused.Message);
        Assert.Contains($"{PolicyTest.MaxPerClient + 1:N0} tests", refused.Message);
        Assert.Contains($"at most {PolicyTest.MaxPerClient:N0}", refused.Message);
        Assert.Equal(PolicyTest.MaxPerClient + 1, full.Then(p => p.AddTest(TestOf("home", 0))).Draft.Tests.Count);
        var trimmed = full.Then(p => p.RemoveTest("t-work-0"));
        Assert.Equal(PolicyTest.MaxPerClient, trimmed.Then(p => p.AddTest(TestOf("work", PolicyTest.MaxPerClient))).Draft.Tests.Count);
    }
}
