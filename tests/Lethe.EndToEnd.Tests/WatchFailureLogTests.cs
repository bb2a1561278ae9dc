using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// What the watch writes while the control plane stays down: the first failure, then reminders
/// further and further apart, a different failure at once, and one line when it answers again.
/// Time is given by hand, as the watch's rounds would bring it.
/// </summary>
public sealed class WatchFailureLogTests
{
    private const string Down = "cannot fetch http://cp/latest: Connection refused";

    /// <summary>Every round of <paramref name="every"/> from <paramref name="from"/> to <paramref name="to"/>, failing alike; the rounds that logged.</summary>
    private static List<(TimeSpan At, string Line)> Fail(WatchFailureLog log, TimeSpan from, TimeSpan to, TimeSpan every, string why = Down)
    {
        var logged = new List<(TimeSpan, string)>();
        for (var at = from; at <= to; at += every)
        {
            if (log.Failed(why, at) is { } line)
            {
                logged.Add((at, line));
            }
        }
        return logged;
    }

    [Fact]
    public void the_first_failure_is_logged_in_full_and_the_same_failure_again_is_quiet_for_a_minute()
    {
        var log = new WatchFailureLog();
        Assert.Equal(Down, log.Failed(Down, TimeSpan.Zero));
        var logged = Fail(log, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(5));
        Assert.Empty(logged);
    }

    [Fact]
    public void reminders_come_after_1_2_4_8_minutes_then_every_10_saying_how_long_and_how_many_rounds()
    {
        var log = new WatchFailureLog();
        var every = TimeSpan.FromSeconds(5);
        var logged = Fail(log, TimeSpan.Zero, TimeSpan.FromMinutes(45), every);

        Assert.Equal(new[] { 0, 1, 3, 7, 15, 25, 35, 45 }.Select(m => TimeSpan.FromMinutes(m)), logged.Select(l => l.At));
        Assert.Equal(Down, logged[0].Line);
        // At 1 min the 13th round in a row fails (0 s, 5 s, ... 60 s).
        Assert.Equal($"still failing after 1m 0s (13 rounds in a row): {Down}", logged[1].Line);
        Assert.Equal($"still failing after 45m 0s (541 rounds in a row): {Down}", logged[^1].Line);
        // 17,000 lines a day became 6 an hour.
        Assert.Equal(6, Fail(log, TimeSpan.FromMinutes(45) + every, TimeSpan.FromMinutes(105), every).Count);
    }

    [Fact]
    public void a_different_failure_is_logged_at_once_and_restarts_the_reminders_but_not_the_count()
    {
        var log = new WatchFailureLog();
        Fail(log, TimeSpan.Zero, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
        const string Unavailable = "http://cp/latest answered 503 Service Unavailable";
        Assert.Equal(Unavailable, log.Failed(Unavailable, TimeSpan.FromSeconds(35)));
        // The same again: quiet until a minute after the line about it.
        Assert.Null(log.Failed(Unavailable, TimeSpan.FromSeconds(90)));
        Assert.Equal($"still failing after 1m 35s (10 rounds in a row): {Unavailable}", log.Failed(Unavailable, TimeSpan.FromSeconds(95)));
        // And back to the first one: said at 0 s, so its reminder is due.
        Assert.Equal($"still failing after 1m 40s (11 rounds in a row): {Down}", log.Failed(Down, TimeSpan.FromSeconds(100)));
    }

    /// <summary>
    /// Two failures taking turns (a balancer in front of two dead control planes, one refusing and one timing
    /// out) were each "different from the last" every round, so the journal got a line a round after all.
    /// </summary>
    [Fact]
    public void two_failures_taking_turns_are_each_said_once_then_only_as_reminders()
    {
        var log = new WatchFailureLog();
        const string Timeout = "http://cp/latest timed out";
        var logged = new List<(TimeSpan At, string Line)>();
        for (var round = 0; round <= 180; round++) // 15 minutes at 5 s
        {
            var at = TimeSpan.FromSeconds(5 * round);
            if (log.Failed(round % 2 == 0 ? Down : Timeout, at) is { } line)
            {
                logged.Add((at, line));
            }
        }

        Assert.Equal(Down, logged[0].Line);
        Assert.Equal(Timeout, logged[1].Line);
        Assert.True(logged.Count <= 10, string.Join("\n", logged));
        Assert.All(logged.Skip(2), l => Assert.StartsWith("still failing after ", l.Line));
    }

    [Fact]
    public void recovery_is_one_line_naming_the_failed_rounds_and_how_long_and_a_success_without_failures_says_nothing()
    {
        var log = new WatchFailureLog();
        Assert.Null(log.Answered(TimeSpan.Zero));
        Fail(log, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10) + TimeSpan.FromMinutes(62), TimeSpan.FromSeconds(5));
        Assert.Equal("the control plane answers again after 745 failed rounds over 1h 2m", log.Answered(TimeSpan.FromMinutes(62) + TimeSpan.FromSeconds(15)));
        Assert.Null(log.Answered(TimeSpan.FromMinutes(63)));

        // A new outage starts from scratch: logged in full, and its own count.
        Assert.Equal(Down, log.Failed(Down, TimeSpan.FromMinutes(70)));
        Assert.Null(log.Failed(Down, TimeSpan.FromMinutes(70) + TimeSpan.FromSeconds(5)));
        Assert.Equal("the control plane answers again after 2 failed rounds over 10s", log.Answered(TimeSpan.FromMinutes(70) + TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void beyond_eight_kinds_in_one_outage_the_one_said_longest_ago_is_forgotten_and_said_in_full_again()
    {
        var log = new WatchFailureLog();
        for (var kind = 0; kind < 9; kind++)
        {
            Assert.Equal($"kind {kind}", log.Failed($"kind {kind}", TimeSpan.FromSeconds(kind)));
        }

        Assert.Null(log.Failed("kind 8", TimeSpan.FromSeconds(10)));
        Assert.Equal("kind 0", log.Failed("kind 0", TimeSpan.FromSeconds(11)));
    }

    [Theory]
    [InlineData(0.2, "0.2s")]
    [InlineData(9.96, "10s")]
    [InlineData(59, "59s")]
    [InlineData(61, "1m 1s")]
    [InlineData(3725, "1h 2m")]
    [InlineData(90000, "1d 1h")]
    public void durations_read_as_a_person_would_say_them(double seconds, string expected) =>
        Assert.Equal(expected, WatchFailureLog.Duration(TimeSpan.FromSeconds(seconds)));
}
