using Lethe.Domain.Policies;

namespace Lethe.Domain.Tests;

public class PolicyDiffTests
{
    private static DraftContent Draft(params (string Client, string[] Rules)[] clients) =>
        new(clients.Select((c, n) => new ClientDraft(c.Client, [$"10.137.0.{n + 10}"],
            c.Rules.Select(id => new DraftRule(id, $"action=accept comment={id}")).ToArray())).ToArray(), []);

    private static ClientDiff Single(DraftContent from, DraftContent to) => Assert.Single(PolicyDiff.Compare(from, to));

    [Fact]
    public void identical_drafts_have_no_differences() =>
        Assert.Empty(PolicyDiff.Compare(Draft(("work", ["a", "b"])), Draft(("work", ["a", "b"]))));

    [Fact]
    public void an_added_rule_is_reported_with_its_new_position()
    {
        var diff = Single(Draft(("work", ["a", "b"])), Draft(("work", ["a", "x", "b"])));

        Assert.Equal([new RuleChange("x", "action=accept comment=x", null, 1)], diff.Added);
        Assert.Empty(diff.Moved);
        Assert.Empty(diff.Removed);
        Assert.Equal("unchanged", diff.Status);
    }

    [Fact]
    public void a_removed_rule_is_reported_with_its_old_position_and_the_rest_are_not_moved()
    {
        var diff = Single(Draft(("work", ["a", "b", "c"])), Draft(("work", ["b", "c"])));

        Assert.Equal([new RuleChange("a", "action=accept comment=a", 0, null)], diff.Removed);
        Assert.Empty(diff.Moved);
        Assert.Empty(diff.Added);
    }

    [Fact]
    public void moving_one_rule_to_the_end_reports_just_that_rule()
    {
        var diff = Single(Draft(("work", ["a", "b", "c", "d"])), Draft(("work", ["b", "c", "d", "a"])));

        Assert.Equal([new RuleChange("a", "action=accept comment=a", 0, 3)], diff.Moved);
        Assert.Empty(diff.Changed);
    }

    [Fact]
    public void moving_the_last_rule_to_the_front_reports_just_that_rule()
    {
        var diff = Single(Draft(("work", ["a", "b", "c", "d"])), Draft(("work", ["d", "a", "b", "c"])));

        Assert.Equal([new RuleChange("d", "action=accept comment=d", 3, 0)], diff.Moved);
    }

    [Fact]
    public void swapping_two_rules_reports_one_move()
    {
        var diff = Single(Draft(("work", ["a", "b", "c"])), Draft(("work", ["a", "c", "b"])));

        var moved = Assert.Single(diff.Moved);
        Assert.Contains(moved.Id, new[] { "b", "c" });
    }

    [Fact]
    public void reversing_three_rules_names_the_two_that_changed_places_not_the_one_that_stayed()
    {
        var diff = Single(Draft(("work", ["ssh", "web", "rest"])), Draft(("work", ["rest", "web", "ssh"])));

        Assert.Equal(["rest", "ssh"], diff.Moved.Select(m => m.Id).Order());
        Assert.Contains(new RuleChange("ssh", "action=accept comment=ssh", 0, 2), diff.Moved);
    }

    [Fact]
    public void reversing_four_rules_reports_three_moves() =>
        Assert.Equal(3, Single(Draft(("work", ["a", "b", "c", "d"])), Draft(("work", ["d", "c", "b", "a"]))).Moved.Count);

    [Fact]
    public void a_client_of_sixty_thousand_rules_with_one_moved_and_one_edited_reports_just_those()
    {
        // A table of both sides' lengths would need 14 GiB here; the diff must still answer.
        var ids = Enumerable.Range(0, 60_000).Select(i => $"r{i}").ToArray();
        var reordered = ids.Skip(1).Append(ids[0]).ToArray();
        var to = Draft(("work", reordered));
        var edited = to.Clients[0].Rules.Select(r => r.Id == "r7" ? r with { Rule = "action=drop comment=r7" } : r).ToArray();
        to = to with { Clients = [to.Clients[0] with { Rules = edited }] };

        var diff = Single(Draft(("work", ids)), to);

        Assert.Equal([new RuleChange("r0", "action=accept comment=r0", 0, 59_999)], diff.Moved);
        Assert.Equal([new RuleChange("r7", "action=drop comment=r7", 7, 6, "action=accept comment=r7")], diff.Changed);
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Removed);
    }

    [Fact]
    public void a_client_whose_address_changed_is_reported_though_its_rules_did_not()
    {
        var from = Draft(("work", ["a"]));
        var to = from.WithClient(new ClientDraft("work", ["10.137.0.99"], [new DraftRule("a", "action=accept comment=a")]));

        var diff = Single(from, to);

        Assert.Equal(["10.137.0.99"], diff.AddressesAdded);
        Assert.Equal(["10.137.0.10"], diff.AddressesRemoved);
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Changed);
    }

    [Fact]
    public void a_rule_changed_in_place_is_reported_with_its_text_before_and_after()
    {
        var from = Draft(("work", ["a", "b"]));
        var to = from.WithClient(new ClientDraft("work", ["10.137.0.10"], [new DraftRule("a", "action=accept comment=a"), new DraftRule("b", "action=drop")]));

        var diff = Single(from, to);

        Assert.Equal([new RuleChange("b", "action=drop", 1, 1, "action=accept comment=b")], diff.Changed);
        Assert.Empty(diff.Moved);
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Removed);
    }

    [Fact]
    public void a_client_added_is_reported_with_all_its_rules_added()
    {
        var diff = Single(Draft(("work", ["a"])), Draft(("work", ["a"]), ("vault", ["v1", "v2"])));

        Assert.Equal(("vault", "added"), (diff.Client, diff.Status));
        Assert.Equal(["v1", "v2"], diff.Added.Select(r => r.Id));
        Assert.Equal([0, 1], diff.Added.Select(r => r.To));
    }

    [Fact]
    public void a_client_added_without_rules_is_still_reported() =>
        Assert.Equal("added", Single(Draft(), Draft(("vault", []))).Status);

    [Fact]
    public void a_client_removed_is_reported_with_all_its_rules_removed()
    {
        var diff = Single(Draft(("work", ["a"]), ("vault", ["v1"])), Draft(("work", ["a"])));

        Assert.Equal(("vault", "removed"), (diff.Client, diff.Status));
        Assert.Equal([new RuleChange("v1", "action=accept comment=v1", 0, null)], diff.Removed);
    }

    [Fact]
    public void only_clients_that_differ_are_listed() =>
        Assert.Equal(["vault"], PolicyDiff.Compare(Draft(("work", ["a"]), ("vault", ["v1"])), Draft(("work", ["a"]), ("vault", ["v2"]))).Select(d => d.Client));

    [Fact]
    public void policy_tests_one_side_has_and_the_other_lacks_are_reported_under_their_client()
    {
        var keep = new PolicyTest("t-keep", "work", "192.0.2.1", "tcp", 443, null, "accept");
        var gone = new PolicyTest("t-gone", "work", "192.0.2.1", "tcp", 22, null, "drop");
        var ping = new PolicyTest("t-ping", "work", "192.0.2.1", "icmp", null, 8, "drop");
        var from = Draft(("work", ["a"])) with { Tests = [keep, gone] };
        var to = Draft(("work", ["a"])) with { Tests = [keep, ping] };

        var diff = Single(from, to);

        Assert.Equal([ping], diff.TestsAdded);
        Assert.Equal([gone], diff.TestsRemoved);
        Assert.Empty(diff.Added);
        Assert.Empty(PolicyDiff.Compare(from, from));
    }

    [Fact]
    public void a_test_changed_under_its_id_is_both_removed_and_added()
    {
        var before = new PolicyTest("t-1", "work", "192.0.2.1", "tcp", 22, null, "drop");
        var after = before with { Expect = "accept" };

        var diff = Single(Draft(("work", ["a"])) with { Tests = [before] }, Draft(("work", ["a"])) with { Tests = [after] });

        Assert.Equal([after], diff.TestsAdded);
        Assert.Equal([before], diff.TestsRemoved);
    }

    [Fact]
    public void a_client_that_changed_places_among_the_clients_is_reported_with_both_positions()
    {
        var diff = Single(Clients("work", "personal", "vault"), Clients("work", "vault", "personal"));

        Assert.Equal("personal", diff.Client);
        Assert.Equal((1, 2), (diff.MovedFrom, diff.MovedTo));
        Assert.Equal("unchanged", diff.Status);
    }

    [Fact]
    public void clients_that_keep_their_order_around_a_removed_or_added_one_are_not_moved()
    {
        var diff = PolicyDiff.Compare(Clients("work", "personal", "vault"), Clients("work", "vault", "guest"));

        Assert.Equal(["personal", "guest"], diff.Select(d => d.Client));
        Assert.All(diff, d => Assert.Null(d.MovedFrom));
    }

    /// <summary>Clients without rules, each at an address of its own wherever it stands.</summary>
    private static DraftContent Clients(params string[] names) =>
        new(names.Select(n => new ClientDraft(n, [$"10.137.0.{Array.IndexOf(Known, n) + 10}"], [])).ToArray(), []);

    private static readonly string[] Known = ["work", "personal", "vault", "guest"];

    [Theory]
    [InlineData("icmp", null, 8, "added test t-1: work -> 192.0.2.1 icmp type 8 expect drop")]
    [InlineData("tcp", 22, null, "added test t-1: work -> 192.0.2.1 tcp port 22 expect drop")]
    [InlineData(null, null, null, "added test t-1: work -> 192.0.2.1 expect drop")]
    public void the_history_line_of_an_added_test_says_what_it_checks(string? proto, int? port, int? icmpType, string expected) =>
        Assert.Equal(expected, EventSummary.Describe(new PolicyTestAdded(new PolicyTest("t-1", "work", "192.0.2.1", proto, port, icmpType, "drop"))));
}
