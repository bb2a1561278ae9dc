using Lethe.Application.Publishing.FindOverdue;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Lethe.Application.Rules.AddRule;

namespace Lethe.Application.Tests;

/// <summary>
/// A commit-confirmed window is the time the operator gave, on a machine whose wall clock NTP may step
/// while it runs.
/// </summary>
public sealed class ConfirmDeadlineClockTests
{
    [Fact]
    public async Task a_wall_clock_stepped_back_during_the_window_does_not_hold_the_revert_back()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var v1 = await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=drop", null, "locks the operator out"));
        await host.Send(new Publish("home", "risky", TimeSpan.FromMinutes(5)));

        // The clock ran an hour ahead; NTP sets it right in the middle of the window.
        host.Clock.Advance(TimeSpan.FromMinutes(1));
        host.Clock.Step(TimeSpan.FromHours(-1));
        host.Clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(["home"], await host.Ask(new FindOverdue()));
        var reverted = (await host.Send(new RevertUnconfirmed("home"), "watchdog"))?.Published;
        Assert.NotNull(reverted);
        Assert.Equal(v1.ContentSha256, reverted.ContentSha256);
    }

    [Fact]
    public async Task a_window_still_running_is_not_cut_short_by_a_clock_stepped_back()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "known good"));
        await host.Send(new AddRule("home", "work", "action=drop", null, "risky"));
        await host.Send(new Publish("home", "risky", TimeSpan.FromMinutes(5)));

        host.Clock.Step(TimeSpan.FromHours(-1));
        host.Clock.Advance(TimeSpan.FromMinutes(4));

        Assert.Empty(await host.Ask(new FindOverdue()));
        Assert.Null(await host.Send(new RevertUnconfirmed("home"), "watchdog"));
    }
}
