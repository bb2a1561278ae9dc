using Lethe.Application.History.GetHistory;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.PolicyTests.AddPolicyTest;
using Lethe.Application.Publishing.Confirm;
using Lethe.Application.Publishing.FindOverdue;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Lethe.Application.Publishing.RollBack;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Snapshots.GetSnapshot;
using Lethe.Domain.Policies;
using Lethe.Domain.Snapshots;

namespace Lethe.Application.Tests;

public sealed class PublishingTests
{
    [Fact]
    public async Task publish_seals_a_snapshot_that_verifies_with_the_public_key_and_holds_the_rules()
    {
        await using var host = await ApplicationHost.Start();
        var ruleId = await Seed.HomePolicy(host);

        var published = await host.Send(new Publish("home", "first"));
        var sealedSnapshot = await host.Ask(new GetSnapshot("home", "latest"));
        var verified = SnapshotVerifier.Verify(SnapshotCodec.ToFile(sealedSnapshot), host.PublicKeyPem);

        Assert.Equal(1, published.Version);
        Assert.Equal(published.ContentSha256, verified.Envelope.ContentSha256);
        Assert.Equal(4, verified.Envelope.LogPosition);
        var work = verified.Content.Clients.Single(c => c.Name == "work");
        Assert.Equal(new SnapshotRule(ruleId, "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443"), work.Rules.Single());
    }

    [Fact]
    public async Task a_failing_policy_test_refuses_the_publish_naming_the_deciding_rule_and_stores_nothing()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var drop = await host.Send(new AddRule("home", "work", "action=drop proto=tcp dstports=22", 0, "no ssh"));
        await host.Send(new AddPolicyTest("home", "work", "192.0.2.10", "tcp", 22, null, "accept", "ssh to the lab must work"));
        var events = await host.EventCount();

        var refused = await Assert.ThrowsAsync<PolicyTestsFailedException>(() => host.Send(new Publish("home", "try")));

        Assert.Equal(drop.Id, refused.Failures.Single().Decision.RuleId);
        Assert.Contains(drop.Id, refused.Message);
        Assert.Equal(events, await host.EventCount());
        Assert.Equal(0, await host.SnapshotCount());
    }

    [Fact]
    public async Task rollback_publishes_the_old_versions_exact_bytes_and_restores_the_draft()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var v1 = await host.Send(new Publish("home", "first"));
        await host.Send(new AddRule("home", "work", "action=accept proto=udp dstports=123", null, "ntp"));
        await host.Send(new Publish("home", "second"));

        var v3 = await host.Send(new RollBack("home", 1, "ntp broke things"));

        Assert.Equal(3, v3.Version);
        Assert.Equal(v1.ContentSha256, v3.ContentSha256);
        var first = await host.Ask(new GetSnapshot("home", "1"));
        var third = await host.Ask(new GetSnapshot("home", "3"));
        Assert.Equal(first.Content, third.Content);
        Assert.Single((await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules);
    }

    [Fact]
    public async Task an_overdue_commit_confirmed_publish_is_reverted_to_the_last_confirmed_content()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var v1 = await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=accept", null, "open everything"));
        var v2 = await host.Send(new Publish("home", "risky", TimeSpan.FromMinutes(5)));

        Assert.Null(await host.Send(new RevertUnconfirmed("home"), "watchdog"));
        Assert.Empty(await host.Ask(new FindOverdue()));
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(["home"], await host.Ask(new FindOverdue()));
        var v3 = (await host.Send(new RevertUnconfirmed("home"), "watchdog"))?.Published;

        Assert.NotNull(v3);
        Assert.Equal(v2.Version + 1, v3.Version);
        Assert.Equal(v1.ContentSha256, v3.ContentSha256);
        var last = (await host.Ask(new GetHistory("home"))).Entries[^1];
        Assert.Equal(("watchdog", RevertUnconfirmed.Reason, 3), (last.Actor, last.Reason, last.Version));
        Assert.Single((await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules);
    }

    [Fact]
    public async Task restoring_the_draft_of_an_overdue_version_is_refused_rather_than_told_to_be_confirmed()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=accept", null, "open everything"));
        await host.Send(new Publish("home", "risky", TimeSpan.FromMinutes(5)));
        await host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "an edit to discard"));
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        var before = await host.EventCount();

        // The watchdog is about to put version 1's draft back, and a confirm is refused now: an answer
        // saying version 2 still awaits confirmation (by a time gone) would send the operator to a refusal.
        var refused = await Assert.ThrowsAsync<Lethe.Domain.DomainException>(() => host.Send(new RollBack("home", 2, "discard the edit")));

        Assert.Equal(Lethe.Domain.Refusal.Conflict, refused.Refusal);
        Assert.Contains("is being reverted to version 1", refused.Message);
        Assert.Equal(before, await host.EventCount());
        Assert.NotNull((await host.Send(new RevertUnconfirmed("home"), "watchdog"))?.Published);
    }

    [Fact]
    public async Task a_confirmed_publish_is_never_reverted()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "ping"));
        await host.Send(new Publish("home", "ping", TimeSpan.FromMinutes(1)));
        await host.Send(new Confirm("home", "works"));

        host.Clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Empty(await host.Ask(new FindOverdue()));
        Assert.Null(await host.Send(new RevertUnconfirmed("home")));
        Assert.Equal(2, (await host.Ask(new GetPolicy("home"))).Publishing.LatestVersion);
    }
}
