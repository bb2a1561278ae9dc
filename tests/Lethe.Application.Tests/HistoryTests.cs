using Lethe.Application.Diff.GetDiff;
using Lethe.Application.History.GetHistory;
using Lethe.Application.Policies.ShowPolicyAt;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.RemoveRule;

namespace Lethe.Application.Tests;

public sealed class HistoryTests
{
    [Fact]
    public async Task every_change_records_the_actor_and_reason_in_the_event_metadata()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        await host.Send(new AddRule("home", "personal", "action=drop proto=udp", null, "no udp for personal"), "mallory");

        var history = (await host.Ask(new GetHistory("home"))).Entries;

        Assert.Equal(5, history.Count);
        Assert.Equal(("mallory", "no udp for personal"), (history[^1].Actor, history[^1].Reason));
        Assert.All(history, h => Assert.False(string.IsNullOrEmpty(h.CorrelationId)));
        Assert.StartsWith("personal: added rule", history[^1].Summary);
    }

    [Fact]
    public async Task show_at_a_time_folds_only_the_events_recorded_until_then()
    {
        await using var host = await ApplicationHost.Start();
        var ruleId = await Seed.HomePolicy(host);
        await host.Send(new RemoveRule("home", ruleId, "no more https"));
        // The store's own clock: halfway between the last seeding event and the removal.
        var history = (await host.Ask(new GetHistory("home"))).Entries;
        var between = history[^2].At + (history[^1].At - history[^2].At) / 2;

        var then = await host.Ask(new ShowPolicyAt("home", between));

        Assert.Equal(ruleId, then.Draft.FindClient("work")!.Rules.Single().Id);
    }

    [Fact]
    public async Task diff_between_a_version_and_the_draft_lists_added_and_removed_rules()
    {
        await using var host = await ApplicationHost.Start();
        var ruleId = await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "v1"));
        await host.Send(new RemoveRule("home", ruleId, "gone"));
        var added = await host.Send(new AddRule("home", "work", "action=accept proto=udp dstports=53", null, "dns"));

        var diff = await host.Ask(new GetDiff("home", "1", "draft"));

        var work = Assert.Single(diff);
        Assert.Equal(added.Id, Assert.Single(work.Added).Id);
        Assert.Equal(ruleId, Assert.Single(work.Removed).Id);
    }
}
