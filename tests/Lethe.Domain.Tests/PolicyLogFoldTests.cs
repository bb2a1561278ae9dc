using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

/// <summary>
/// A whole log folded at once (what publish, rollback, revert and show --at read) against the same
/// log folded one event at a time (what the inline projection stores after each change).
/// </summary>
public class PolicyLogFoldTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void a_long_mixed_log_folds_at_once_to_what_it_folds_to_event_by_event(int seed)
    {
        var (log, stepwise) = RandomLog(new Random(seed), changes: 1_500);

        var whole = Policies.New().FoldAll(log);

        Assert.Equal(Describe(stepwise), Describe(whole));
        Assert.Equal(stepwise.Sha(), whole.Sha());
        Assert.Equal(stepwise.Publishing, whole.Publishing);
    }

    [Fact]
    public void a_client_removed_and_added_again_in_one_run_starts_without_its_old_rules()
    {
        var log = Log(Policies.New(),
            p => p.AddClient("work", ["10.137.0.10"]),
            p => p.AddRule("work", "old", RuleText.Parse("action=drop"), null),
            p => p.RemoveClient("work"),
            p => p.AddClient("work", ["10.137.0.11"]),
            p => p.AddRule("work", "new", RuleText.Parse("action=accept"), null));

        var policy = Policies.New().FoldAll(log);

        Assert.Equal(["new"], policy.RuleIds("work"));
        Assert.Equal(["10.137.0.11"], policy.Draft.FindClient("work")!.Addresses);
    }

    [Fact]
    public void after_a_client_is_removed_the_next_changes_reach_the_clients_they_name()
    {
        // Enough changes before the removal that the fold looks clients up by an index, which the removal shifts.
        var log = Log(Policies.New(),
            p => p.AddClient("a", ["10.137.0.1"]),
            p => p.AddClient("b", ["10.137.0.2"]),
            p => p.AddClient("c", ["10.137.0.3"]),
            p => p.AddRule("a", "a1", RuleText.Parse("action=drop"), null),
            p => p.AddRule("b", "b1", RuleText.Parse("action=drop"), null),
            p => p.AddRule("c", "c1", RuleText.Parse("action=drop"), null),
            p => p.RemoveRule("a1"),
            p => p.RemoveClient("a"),
            p => p.AddRule("c", "c2", RuleText.Parse("action=accept"), 0),
            p => p.AddRule("b", "b2", RuleText.Parse("action=accept"), null),
            p => p.AddClient("d", ["10.137.0.4"]),
            p => p.AddRule("d", "d1", RuleText.Parse("action=accept"), null));

        var policy = Policies.New().FoldAll(log);

        Assert.Equal(["b", "c", "d"], policy.Draft.Clients.Select(c => c.Name));
        Assert.Equal(["b1", "b2"], policy.RuleIds("b"));
        Assert.Equal(["c2", "c1"], policy.RuleIds("c"));
        Assert.Equal(["d1"], policy.RuleIds("d"));
    }

    [Fact]
    public void an_abandoned_revert_between_draft_changes_folds_at_once_as_it_folds_event_by_event()
    {
        var log = Log(Policies.Work(),
            p => p.AddRule("work", "web", RuleText.Parse("action=accept proto=tcp dstports=443"), null),
            p => p.Publish(p.Sha(), Policies.Noon, null, []),
            p => p.AddRule("work", "dns", RuleText.Parse("action=accept specialtarget=dns"), null),
            p => p.Publish(p.Sha(), Policies.Noon, TimeSpan.FromMinutes(5), []),
            p => p.AddRule("work", "ntp", RuleText.Parse("action=accept proto=udp dstports=123"), null),
            p => p.AbandonRevert(Policies.Noon.AddMinutes(6), "holds content this build no longer reads"),
            p => p.RemoveRule("web"));
        var stepwise = log.Aggregate(Policies.Work(), (policy, e) => policy.Fold(e));

        var whole = Policies.Work().FoldAll(log);

        Assert.Equal(new PublishState(2, stepwise.Publishing.LatestContentSha256, 2, null, null), whole.Publishing);
        Assert.Equal(stepwise.Publishing, whole.Publishing);
        Assert.Equal(["dns", "ntp"], whole.RuleIds("work"));
    }

    [Fact]
    public void folding_a_change_leaves_the_clients_it_does_not_touch_as_they_were()
    {
        var before = Policies.Work().WithClient("vault", "10.137.0.20").WithRules("vault", "v1").WithRules("work", "w1");

        var after = before.WithRule("work", "w2", "action=drop");

        Assert.Same(before.Draft.FindClient("vault"), after.Draft.FindClient("vault"));
        Assert.Equal(["w1"], before.RuleIds("work"));
        Assert.Equal(["w1", "w2"], after.RuleIds("work"));
    }

    [Fact]
    public void a_log_that_changes_a_client_it_never_added_names_the_client()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Policies.New().FoldAll([new RuleAdded("ghost", "r1", "action=drop", 0)]));

        Assert.Contains("ghost", error.Message);
    }

    private static List<object> Log(Policy start, params Func<Policy, object>[] decisions)
    {
        var log = new List<object>();
        var policy = start;
        foreach (var decide in decisions)
        {
            var e = decide(policy);
            log.Add(e);
            policy = policy.Fold(e);
        }
        return log;
    }

    /// <summary>
    /// Valid changes only, each decided by the policy as folded so far (as the application decides),
    /// with publishes and rollbacks between runs of draft changes.
    /// </summary>
    private static (List<object> Log, Policy Stepwise) RandomLog(Random random, int changes)
    {
        var log = new List<object>();
        var policy = Policies.New();
        var published = new List<(string Sha, DraftContent Draft)>();
        var names = 0;
        var ids = 0;
        for (var n = 0; n < changes; n++)
        {
            var clients = policy.Draft.Clients;
            var rules = clients.SelectMany(c => c.Rules).ToArray();
            object? e = random.Next(100) switch
            {
                < 8 => policy.AddClient($"c{names}", [$"10.{names / 250}.{names++ % 250}.1"]),
                < 11 when clients.Count > 1 => RemoveUntested(policy, clients[random.Next(clients.Count)].Name),
                < 45 when clients.Count > 0 => AddRule(policy, random, clients[random.Next(clients.Count)], $"r{ids++}"),
                < 55 when rules.Length > 0 => policy.RemoveRule(rules[random.Next(rules.Length)].Id),
                < 65 when rules.Length > 0 => Move(policy, random, rules[random.Next(rules.Length)].Id),
                < 75 when rules.Length > 0 => Replace(policy, rules[random.Next(rules.Length)], $"action=drop proto=udp dstports={random.Next(1, 65536)}"),
                < 82 when clients.Count > 0 => policy.ImportRules(clients[random.Next(clients.Count)].Name,
                    [new DraftRule($"r{ids++}", "action=accept proto=udp"), new DraftRule($"r{ids++}", "action=drop")], replace: random.Next(2) == 0),
                < 87 when clients.Count > 0 => policy.AddTest(new PolicyTest($"t{ids++}", clients[random.Next(clients.Count)].Name, "192.0.2.1", "tcp", 443, null, "drop")),
                < 90 when policy.Draft.Tests.Count > 0 => policy.RemoveTest(policy.Draft.Tests[random.Next(policy.Draft.Tests.Count)].Id),
                < 96 when policy.Sha() != policy.Publishing.LatestContentSha256 => policy.Publish(policy.Sha(), Policies.Noon, null, []),
                < 100 when published.Count > 0 => RollBack(policy, published, random),
                _ => null,
            };
            if (e is null)
            {
                continue;
            }
            log.Add(e);
            policy = policy.Fold(e);
            if (e is PolicyPublished)
            {
                published.Add((policy.Sha(), policy.Draft));
            }
            else if (e is PolicyRolledBack back)
            {
                published.Add((back.ContentSha256, back.Restored));
            }
        }
        return (log, policy);
    }

    private static object? RemoveUntested(Policy policy, string client) =>
        policy.Draft.Tests.Any(t => t.Client == client) ? null : policy.RemoveClient(client);

    private static object AddRule(Policy policy, Random random, ClientDraft client, string id) =>
        policy.AddRule(client.Name, id, RuleText.Parse($"action=accept proto=tcp dstports={random.Next(1, 65536)}"),
            random.Next(3) == 0 ? null : random.Next(client.Rules.Count + 1));

    private static object? Move(Policy policy, Random random, string ruleId)
    {
        var (client, index) = policy.Draft.FindRule(ruleId)!.Value;
        var to = random.Next(client.Rules.Count);
        return to == index ? null : policy.MoveRule(ruleId, to);
    }

    private static object? Replace(Policy policy, DraftRule rule, string text) =>
        rule.Rule == text ? null : policy.ReplaceRule(rule.Id, RuleText.Parse(text));

    private static object? RollBack(Policy policy, List<(string Sha, DraftContent Draft)> published, Random random)
    {
        var to = random.Next(published.Count);
        if (to + 1 == policy.Publishing.LatestVersion)
        {
            return policy.Draft.SameAs(published[to].Draft) ? null : policy.RestoreDraft(DateTimeOffset.UtcNow, to + 1, published[to].Draft);
        }
        return published[to].Sha == policy.Publishing.LatestContentSha256 ? null : policy.RollBack(to + 1, published[to].Sha, published[to].Draft);
    }

    private static string Describe(Policy policy) => string.Join("\n",
        policy.Draft.Clients.Select(c => $"{c.Name} [{string.Join(",", c.Addresses)}]: {string.Join(" | ", c.Rules.Select(r => $"{r.Id}={r.Rule}"))}")
            .Concat(policy.Draft.Tests.Select(t => t.Describe())));
}
