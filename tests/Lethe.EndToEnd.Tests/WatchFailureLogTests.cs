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
        // And back to the first one: different from the last, so at once.
        Assert.Equal(Down, log.Failed(Down, TimeSpan.FromSeconds(100)));
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
