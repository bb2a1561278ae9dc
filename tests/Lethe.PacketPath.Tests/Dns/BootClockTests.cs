using System.Globalization;
using Lethe.PacketPath.Dns;

namespace Lethe.PacketPath.Tests.Dns;

public sealed class BootClockTests
{
    [Fact]
    public void the_boot_clock_reads_the_time_since_boot_suspended_time_included_as_proc_uptime_does()
    {
        // /proc/uptime's first field is CLOCK_BOOTTIME in seconds, to the hundredth: a machine that was ever
        // suspended has it ahead of CLOCK_MONOTONIC, which the runtime's Stopwatch reads.
        Assert.True(BootClock.CountsSuspend);
        var clock = BootClock.Instance;
        var before = clock.GetTimestamp();
        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        var after = clock.GetTimestamp();

        Assert.InRange(uptime, (double)before / clock.TimestampFrequency - 1, (double)after / clock.TimestampFrequency + 1);
        Assert.True(after >= before);
        Assert.Equal(TimeSpan.FromSeconds(1), clock.GetElapsedTime(0, clock.TimestampFrequency));
    }
}
