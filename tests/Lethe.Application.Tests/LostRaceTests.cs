using Lethe.Application.Common;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Publishing.Confirm;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Lethe.Application.Ports;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.MoveRule;
using Lethe.Domain;
using Lethe.Domain.Rules;
using Lethe.Infrastructure.Marten;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Application.Tests;

/// <summary>A change that loses a race to another editor's, in PostgreSQL, between its read and its write.</summary>
public sealed class LostRaceTests
{
    private static Task<ApplicationHost> Start(RivalChanges rival) => ApplicationHost.Start(services =>
    {
        services.AddSingleton(rival);
        services.AddScoped<MartenPolicyStore>();
        services.AddScoped<IPolicyStore, RivalFirstStore>();
    });

    private static Func<Domain.Policies.Policy, object> RivalRule(string id) =>
        p => p.AddRule("work", id, RuleParser.Parse("action=drop proto=udp dstports=5353", 0), null);

    /// <summary>"home" published once as known good, then with an open rule as a version on trial for 5 minutes.</summary>
    private static async Task<(Publishing.Published Known, Publishing.Published Trial)> OnTrial(ApplicationHost host)
    {
        await Seed.HomePolicy(host);
        var known = await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=accept", null, "open everything"));
        return (known, await host.Send(new Publish("home", "risky", TimeSpan.FromMinutes(5))));
    }

    [Fact]
    public async Task without_an_expected_version_a_change_that_lost_a_race_is_decided_again_on_the_state_that_won()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var https = await Seed.HomePolicy(host);
        var before = await host.Ask(new GetPolicy("home"));
        rival.Before(RivalRule("rival"));

        var added = await host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "ping"));

        var after = await host.Ask(new GetPolicy("home"));
        Assert.Equal([https, "rival", added.Id], after.Draft.FindClient("work")!.Rules.Select(r => r.Id));
        Assert.Equal(before.Version + 2, added.Version);
        Assert.Equal(added.Version, after.Version);
    }

    [Fact]
    public async Task with_an_expected_version_a_lost_race_is_a_conflict_and_nothing_of_the_change_is_written()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        await Seed.HomePolicy(host);
        var before = await host.Ask(new GetPolicy("home"));
        rival.Before(RivalRule("rival"));

        var refused = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "ping", before.Version)));

        Assert.Equal($"Another request changed policy home while this change was being made, after version {before.Version}, the one its If-Match named: " +
            $"1 change landed first, and the policy is now at version {before.Version + 1}. Nothing was applied; read it again and, if the change still holds, " +
            $"send it with version {before.Version + 1}.", refused.Message);

        var after = await host.Ask(new GetPolicy("home"));
        Assert.Equal(before.Version + 1, after.Version);
        Assert.DoesNotContain(after.Draft.FindClient("work")!.Rules, r => r.Rule == "action=accept proto=icmp");
    }

    [Fact]
    public async Task decided_again_a_change_the_winning_state_no_longer_allows_is_refused_as_that_state_refuses_it()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var https = await Seed.HomePolicy(host);
        await host.Send(new AddRule("home", "work", "action=drop", null, "last"));
        var before = await host.EventCount();
        rival.Before(p => p.RemoveRule(https));

        var refused = await Assert.ThrowsAsync<DomainException>(() => host.Send(new MoveRule("home", https, 1, "after the drop?")));

        Assert.Contains(https, refused.Message);
        Assert.Equal(before + 1, await host.EventCount());
    }

    [Fact]
    public async Task a_change_that_keeps_losing_is_a_conflict_after_its_last_try_and_is_not_written()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        await Seed.HomePolicy(host);
        var before = await host.EventCount();
        rival.Before(Enumerable.Range(1, PolicyWriter.AttemptsWithoutExpectedVersion).Select(i => RivalRule($"rival-{i}")).ToArray());

        var refused = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => host.Send(new AddRule("home", "work", "action=accept proto=icmp", null, "ping")));

        // It sent no version and read nothing, so the answer neither names one nor asks it to read again.
        Assert.Contains("send it again", refused.Message);
        Assert.DoesNotContain("expected version", refused.Message);
        var after = await host.Ask(new GetPolicy("home"));
        Assert.Equal(before + PolicyWriter.AttemptsWithoutExpectedVersion, await host.EventCount());
        Assert.DoesNotContain(after.Draft.FindClient("work")!.Rules, r => r.Rule == "action=accept proto=icmp");
    }

    [Fact]
    public async Task a_confirm_that_lost_a_race_to_another_publish_is_a_conflict_and_does_not_confirm_the_version_it_never_saw()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var (_, trial) = await OnTrial(host);
        // Between the confirm's read and its write another editor confirms that version and puts a third on trial.
        rival.AllBefore(p => p.Confirm(host.Clock.GetUtcNow()), p => p.Publish("a-later-draft", host.Clock.GetUtcNow(), TimeSpan.FromMinutes(5), []));

        var refused = await Assert.ThrowsAsync<ConcurrencyConflictException>(() => host.Send(new Confirm("home", $"version {trial.Version} works")));

        // Told what landed, in versions the caller can look up, not the stream version the confirm happened to load.
        Assert.Equal($"Another request changed policy home while this confirm was being made: it published version {trial.Version + 1} first and made 1 other change, " +
            $"and the policy is now at version {trial.StreamVersion + 2}. Nothing was confirmed; look at the policy again (lethe show) and confirm version {trial.Version} " +
            "if it is still the one on trial.", refused.Message);

        var publishing = (await host.Ask(new GetPolicy("home"))).Publishing;
        Assert.Equal(trial.Version + 1, publishing.PendingVersion);
        Assert.Equal(trial.Version, publishing.ConfirmedVersion);
    }

    [Fact]
    public async Task an_overdue_revert_that_loses_races_to_draft_edits_still_restores_the_confirmed_version()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var (known, _) = await OnTrial(host);
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        rival.Before(RivalRule("edit-1"), RivalRule("edit-2"), RivalRule("edit-3"));

        var reverted = (await host.Send(new RevertUnconfirmed("home"), "lethe (confirmation watchdog)"))?.Published;

        Assert.Equal(known.ContentSha256, reverted!.ContentSha256);
        var policy = await host.Ask(new GetPolicy("home"));
        Assert.Null(policy.Publishing.PendingVersion);
        Assert.Equal(reverted.Version, policy.Publishing.LatestVersion);
        // The revert put the confirmed draft back over the edits that raced it.
        Assert.DoesNotContain(policy.Draft.FindClient("work")!.Rules, r => r.Id.StartsWith("edit-"));
    }

    [Fact]
    public async Task an_overdue_revert_that_a_confirm_overtakes_is_given_up_and_the_confirmed_version_stays()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var (_, trial) = await OnTrial(host);
        var overdue = (await host.Ask(new GetPolicy("home")));
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        // An operator's confirm decided just before the deadline lands between the revert's read and its write.
        rival.Before(_ => new Domain.Policies.PublishConfirmed(trial.Version));

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => host.Send(new RevertUnconfirmed("home"), "lethe (confirmation watchdog)"));

        var policy = await host.Ask(new GetPolicy("home"));
        Assert.Equal(trial.Version, policy.Publishing.ConfirmedVersion);
        Assert.Equal(trial.Version, policy.Publishing.LatestVersion);
        Assert.Equal(overdue.Version + 1, policy.Version);
    }

    [Fact]
    public async Task an_overdue_revert_refused_with_nothing_written_after_it_is_not_taken_for_a_lost_race()
    {
        var rival = new RivalChanges();
        await using var host = await Start(rival);
        var (_, trial) = await OnTrial(host);
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        // A row for the version the revert would seal, which the log does not vouch for (written outside Lethe).
        using (var documents = DocumentStore.For(o => LetheStoreOptions.Configure(o, host.Database.ConnectionString, createSchema: false)))
        await using (var session = documents.LightweightSession())
        {
            var latest = (await session.LoadAsync<SnapshotDocument>(SnapshotDocument.IdFor("home", trial.Version)))!;
            session.Insert(new SnapshotDocument
            {
                Id = SnapshotDocument.IdFor("home", trial.Version + 1), Policy = "home", Version = trial.Version + 1,
                Sealed = latest.Sealed, Draft = latest.Draft,
            });
            await session.SaveChangesAsync();
        }
        var before = await host.EventCount();

        // Not a conflict (which the watchdog would keep quiet about), nor ten tries blamed on editors: the store's own reason.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            host.Send(new RevertUnconfirmed("home"), "lethe (confirmation watchdog)"));

        Assert.Contains($"Version {trial.Version + 1} of policy home was sealed by another request", refused.Message);
        Assert.Equal(before, await host.EventCount());
    }
}
