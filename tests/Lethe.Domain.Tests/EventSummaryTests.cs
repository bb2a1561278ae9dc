using Lethe.Domain.Policies;
using static Lethe.Domain.Tests.Policies;

namespace Lethe.Domain.Tests;

public class EventSummaryTests
{
    [Fact]
    public void a_client_removal_names_its_addresses_and_the_rules_that_went_with_it()
    {
        var policy = Work().WithClient("personal", "10.137.0.11", "2001:db8::11").WithRules("personal", "r-a", "r-b");

        var removed = policy.RemoveClient("personal");

        Assert.Equal("removed client personal (10.137.0.11, 2001:db8::11) and its 2 rule(s): r-a, r-b", EventSummary.Describe(removed));
        Assert.Equal("removed client work (10.137.0.10), which had no rules", EventSummary.Describe(Work().RemoveClient("work")));
    }

    [Fact]
    public void an_import_with_replace_names_the_rules_it_added_and_the_ones_it_replaced()
    {
        var policy = Work().WithRules("work", "r-old");

        var imported = policy.ImportRules("work", [new DraftRule("r-new", "action=drop")], replace: true);

        Assert.Equal("work: imported 1 rule(s) (r-new), replacing its 1 rule(s) (r-old)", EventSummary.Describe(imported));
        Assert.Equal("work: imported 1 rule(s) (r-new), replacing all (it had none)",
            EventSummary.Describe(Work().ImportRules("work", [new DraftRule("r-new", "action=drop")], replace: true)));
        Assert.Equal("work: imported 1 rule(s) (r-new)", EventSummary.Describe(policy.ImportRules("work", [new DraftRule("r-new", "action=drop")], replace: false)));
    }

    [Fact]
    public void a_large_import_names_its_first_20_rules_and_counts_the_rest()
    {
        var rules = Enumerable.Range(1, 25).Select(i => new DraftRule($"r-{i}", "action=drop")).ToArray();

        var summary = EventSummary.Describe(Work().ImportRules("work", rules, replace: false));

        Assert.Equal($"work: imported 25 rule(s) ({string.Join(", ", rules.Take(20).Select(r => r.Id))} and 5 more)", summary);
    }

    [Fact]
    public void a_test_removal_says_what_the_test_checked()
    {
        var policy = Work().Then(p => p.AddTest(new PolicyTest("t-1", "work", "192.0.2.1", "tcp", 22, null, "drop")));

        Assert.Equal("removed test t-1: work -> 192.0.2.1 tcp port 22 expect drop", EventSummary.Describe(policy.RemoveTest("t-1")));
    }

    [Fact]
    public void events_recorded_before_they_named_what_went_keep_their_summaries()
    {
        Assert.Equal("removed client personal", EventSummary.Describe(new ClientRemoved("personal")));
        Assert.Equal("removed test t-1", EventSummary.Describe(new PolicyTestRemoved("t-1")));
        Assert.Equal("work: imported 1 rule(s) (r-new), replacing all", EventSummary.Describe(new RulesImported("work", true, [new DraftRule("r-new", "action=drop")])));
    }

    [Fact]
    public void a_version_signed_with_another_key_than_the_version_before_it_names_the_new_key()
    {
        var sha = new string('a', 64);
        object[] events =
        [
            new PolicyCreated("p"),
            new PolicyPublished(1, sha, 1, null, "key-one"),
            new PolicyPublished(2, sha, 2, null, "key-two"),
            new PublishConfirmed(2),
            new PolicyRolledBack(3, 1, sha, 4, DraftContent.Empty, "key-two"),
            new PublishReverted(4, 3, 2, sha, 5, DraftContent.Empty, "key-three"),
        ];

        var summaries = EventSummary.DescribeAll(events, new Dictionary<int, string>());

        Assert.Equal([
            "created policy p",
            "published version 1 (aaaaaaaaaaaa)",
            "published version 2 (aaaaaaaaaaaa), signed with new key key-two",
            "confirmed version 2",
            "rolled back to version 1 as version 3",
            "version 3 not confirmed in time: published version 2's content as version 4, signed with new key key-three",
        ], summaries);
    }

    [Fact]
    public void a_version_recorded_before_events_named_their_key_is_known_by_its_sealed_snapshots_key()
    {
        var sha = new string('a', 64);
        object[] events = [new PolicyPublished(1, sha, 1, null), new PolicyPublished(2, sha, 2, null), new PolicyPublished(3, sha, 3, null, "key-two")];

        var summaries = EventSummary.DescribeAll(events, new Dictionary<int, string> { [1] = "key-one", [2] = "key-one" });

        Assert.Equal("published version 2 (aaaaaaaaaaaa)", summaries[1]);
        Assert.Equal("published version 3 (aaaaaaaaaaaa), signed with new key key-two", summaries[2]);
        Assert.Equal("published version 2 (aaaaaaaaaaaa)", EventSummary.DescribeAll(events[..2], new Dictionary<int, string>())[1]);
    }

    [Fact]
    public void a_later_part_of_the_stream_compares_its_first_version_with_the_key_sealed_before_it()
    {
        var sha = new string('a', 64);
        object[] page = [new RuleRemoved("work", "r-1", "action=drop"), new PolicyPublished(3, sha, 3, null, "key-two")];

        Assert.Equal("published version 3 (aaaaaaaaaaaa), signed with new key key-two", EventSummary.DescribeAll(page, new Dictionary<int, string>(), "key-one")[1]);
        Assert.Equal("published version 3 (aaaaaaaaaaaa)", EventSummary.DescribeAll(page, new Dictionary<int, string>(), "key-two")[1]);
    }
}
