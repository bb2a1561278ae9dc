using System.Diagnostics;
using Lethe.PacketPath.Forwarding;

namespace Lethe.PacketPath.Tests.Forwarding;

public class IdlePollWindowTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMicroseconds(30);
    private static readonly TimeSpan Long = TimeSpan.FromMilliseconds(5);

    [Fact]
    public void a_new_window_polls_for_the_whole_maximum()
    {
        Assert.Equal(400, new IdlePollWindow(400).Microseconds);
    }

    [Fact]
    public void sparse_traffic_shrinks_the_window_to_nothing_by_halves()
    {
        var window = new IdlePollWindow(400);
        var seen = new List<int>();

        for (var i = 0; i < 5; i++)
        {
            window.Slept(Long, 0);
            seen.Add(window.Microseconds);
        }

        Assert.Equal([200, 100, 50, 0, 0], seen);
    }

    [Fact]
    public void a_packet_soon_after_sleeping_grows_the_window_back_up_to_the_maximum()
    {
        var window = new IdlePollWindow(400);
        for (var i = 0; i < 4; i++)
        {
            window.Slept(Long, 0);
        }
        var seen = new List<int>();

        for (var i = 0; i < 5; i++)
        {
            window.Slept(Short, 0);
            seen.Add(window.Microseconds);
        }

        Assert.Equal([IdlePollWindow.GrowStartMicroseconds, 100, 200, 400, 400], seen);
    }

    [Fact]
    public void a_timeout_shorter_than_the_window_is_no_packet_and_leaves_it_as_it_was()
    {
        var window = new IdlePollWindow(2000);
        window.Slept(Long, 0);

        Assert.False(window.TimedOut(TimeSpan.FromMilliseconds(1), 0));
        Assert.Equal(1000, window.Microseconds);
        Assert.True(window.TimedOut(TimeSpan.FromMilliseconds(3), 0));
        Assert.Equal(500, window.Microseconds);
    }

    [Fact]
    public void a_sleep_as_long_as_the_maximum_still_counts_as_soon()
    {
        var window = new IdlePollWindow(400);
        window.Slept(Long, 0);

        window.Slept(TimeSpan.FromMicroseconds(400), 0);

        Assert.Equal(400, window.Microseconds);
    }

    [Fact]
    public void a_maximum_below_the_growth_start_is_kept_and_zero_never_polls()
    {
        var small = new IdlePollWindow(20);
        small.Slept(Long, 0);
        small.Slept(TimeSpan.FromMicroseconds(10), 0);
        var none = new IdlePollWindow(0);
        none.Slept(TimeSpan.Zero, 0);

        Assert.Equal(20, small.Microseconds);
        Assert.Equal(0, none.Microseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdlePollWindow(-1));
    }

    [Fact]
    public void a_worker_moved_back_from_a_starved_poll_sleeps_at_once_for_the_hold_off_then_grows_again_from_nothing()
    {
        var window = new IdlePollWindow(400);
        var start = 10 * Stopwatch.Frequency;
        var holdOff = Ticks(IdlePollWindow.MinHoldOff);
        var seen = new List<int>();

        window.Starved(start);
        seen.Add(window.Microseconds);
        window.Slept(Short, start + 1);
        seen.Add(window.Microseconds);
        window.Slept(Short, start + holdOff - 1);
        seen.Add(window.Microseconds);
        window.Slept(Short, start + holdOff);
        seen.Add(window.Microseconds);
        window.Slept(Short, start + holdOff + 1);
        seen.Add(window.Microseconds);

        Assert.Equal([0, 0, 0, IdlePollWindow.GrowStartMicroseconds, 100], seen);
    }

    [Fact]
    public void polls_cut_short_in_a_row_double_the_hold_off_up_to_its_maximum_and_a_poll_that_ends_by_itself_starts_it_over()
    {
        var window = new IdlePollWindow(400);
        var now = 10 * Stopwatch.Frequency;
        var holdOffs = new List<TimeSpan>();

        for (var i = 0; i < 9; i++)
        {
            window.Starved(now);
            holdOffs.Add(window.HoldOff);
            now += 2 * Stopwatch.Frequency;
        }
        window.Polled();
        window.Starved(now);
        holdOffs.Add(window.HoldOff);

        var min = IdlePollWindow.MinHoldOff;
        Assert.Equal([min, min * 2, min * 4, min * 8, min * 16, min * 32, min * 64, IdlePollWindow.MaxHoldOff, IdlePollWindow.MaxHoldOff, min],
            holdOffs);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
