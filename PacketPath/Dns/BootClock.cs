using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Dns;

/// <summary>
/// Timestamps that count the time the machine spends suspended: CLOCK_BOOTTIME, in nanoseconds.
/// <see cref="TimeProvider.System"/>'s timestamps (Stopwatch) and timers run on CLOCK_MONOTONIC, which
/// stops during a suspend, so a DNS answer whose TTL ran out while a laptop slept would be taken as
/// fresh until its TTL had passed again awake. Timers are still the system's (the base class's): a wait
/// on one is late by the time suspended, which is why <see cref="HostRefresher"/> sleeps in slices of
/// <see cref="HostRefresher.LongestSleep"/> and looks at this clock after each.
/// </summary>
public sealed partial class BootClock : TimeProvider
{
    private const int ClockBootTime = 7; // include/uapi/linux/time.h, since Linux 2.6.39
    private const int ClockMonotonic = 1;

    /// <summary>CLOCK_BOOTTIME, or CLOCK_MONOTONIC (what the system provider reads) where the kernel refuses it.</summary>
    private static readonly int Clock = TryRead(ClockBootTime, out _) ? ClockBootTime : ClockMonotonic;

    public static BootClock Instance { get; } = new();

    private BootClock()
    {
    }

    /// <summary>Whether the timestamps count a suspend (false only on a kernel without CLOCK_BOOTTIME).</summary>
    public static bool CountsSuspend => Clock == ClockBootTime;

    public override long TimestampFrequency => 1_000_000_000;

    public override long GetTimestamp() =>
        TryRead(Clock, out var nanoseconds) ? nanoseconds : throw new IOException($"clock_gettime({Clock}) failed: errno {Marshal.GetLastPInvokeError()}");

    private static unsafe bool TryRead(int clock, out long nanoseconds)
    {
        TimeSpec now;
        if (ClockGetTime(clock, &now) != 0)
        {
            nanoseconds = 0;
            return false;
        }
        nanoseconds = (long)now.Seconds * 1_000_000_000 + now.Nanoseconds;
        return true;
    }

    /// <summary>struct timespec: time_t and long, both the word size on Linux's x86-64 and arm64 (and 32-bit glibc's default ABI).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static unsafe partial int ClockGetTime(int clock, TimeSpec* time);
}
