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
            window.Slept(Long);
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
            window.Slept(Long);
        }
        var seen = new List<int>();

        for (var i = 0; i < 5; i++)
        {
            window.Slept(Short);
            seen.Add(window.Microseconds);
        }

        Assert.Equal([IdlePollWindow.GrowStartMicroseconds, 100, 200, 400, 400], seen);
    }

    [Fact]
    public void a_sleep_as_long_as_the_maximum_still_counts_as_soon()
    {
        var window = new IdlePollWindow(400);
        window.Slept(Long);

        window.Slept(TimeSpan.FromMicroseconds(400));

        Assert.Equal(400, window.Microseconds);
    }

    [Fact]
    public void a_maximum_below_the_growth_start_is_kept_and_zero_never_polls()
    {
        var small = new IdlePollWindow(20);
        small.Slept(Long);
        small.Slept(TimeSpan.FromMicroseconds(10));
        var none = new IdlePollWindow(0);
        none.Slept(TimeSpan.Zero);

        Assert.Equal(20, small.Microseconds);
        Assert.Equal(0, none.Microseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdlePollWindow(-1));
    }
}
