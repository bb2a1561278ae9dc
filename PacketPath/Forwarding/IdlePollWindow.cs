using System.Diagnostics;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// How long a worker that found its queues empty keeps polling them before it sleeps, adapted as
/// Linux's cpuidle-haltpoll governor adapts its own: a packet that came soon after the worker went
/// to sleep doubles the window (up to the maximum); a long sleep halves it, down to not polling.
/// </summary>
/// <remarks>
/// On a machine where waking a sleeping thread on another core takes tens of microseconds (a
/// paravirtualised guest: 55-73 µs measured on the test machine), a paced TCP sender hands the
/// worker one super-packet at a time, and every wake-up adds to the flow's round trip. A worker
/// that is still polling when the next packet comes needs no wake-up. Sparse traffic shrinks the
/// window to nothing, so an idle firewall does not poll.
/// </remarks>
public sealed class IdlePollWindow
{
    /// <summary>Where a window that had shrunk to nothing starts again.</summary>
    public const int GrowStartMicroseconds = 50;

    public IdlePollWindow(int maxMicroseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMicroseconds);
        Max = maxMicroseconds;
        Microseconds = maxMicroseconds;
    }

    public int Max { get; }

    /// <summary>How long the next poll lasts; 0: sleep at once.</summary>
    public int Microseconds { get; private set; }

    /// <summary>How long a worker does not poll after a poll of its was cut short (<see cref="Starved"/>), at first.</summary>
    public static readonly TimeSpan MinHoldOff = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest hold-off, reached when poll after poll is cut short.</summary>
    public static readonly TimeSpan MaxHoldOff = TimeSpan.FromSeconds(1);

    private long _holdOff;
    private long _holdOffUntil;

    /// <summary>How long the last poll cut short keeps the worker from polling (zero: none was, since one ended by itself).</summary>
    public TimeSpan HoldOff => TimeSpan.FromSeconds((double)_holdOff / Stopwatch.Frequency);

    /// <summary>
    /// The worker slept this long after polling (or at once) before a packet, a wake-up or its
    /// timeout came; <paramref name="timestamp"/> (Stopwatch) is when it woke.
    /// </summary>
    public void Slept(TimeSpan slept, long timestamp)
    {
        if (timestamp < _holdOffUntil)
        {
            return;
        }
        if (slept.Ticks <= Max * TimeSpan.TicksPerMicrosecond)
        {
            Microseconds = Math.Min(Max, Microseconds == 0 ? GrowStartMicroseconds : Microseconds * 2);
            return;
        }
        var shrunk = Microseconds / 2;
        Microseconds = shrunk < GrowStartMicroseconds ? 0 : shrunk;
    }

    /// <summary>
    /// The worker's sleep timed out with no packet and no wake-up, <paramref name="slept"/> after it
    /// began (a worker holding fragments wakes to look at them again and sleeps on). Once that is
    /// longer than the window, nothing came soon: as <see cref="Slept"/>, and true. Before that it
    /// says nothing of when the next packet comes, and false: the sleep goes on, not counted yet.
    /// </summary>
    public bool TimedOut(TimeSpan slept, long timestamp)
    {
        if (slept.Ticks <= Max * TimeSpan.TicksPerMicrosecond)
        {
            return false;
        }
        Slept(slept, timestamp);
        return true;
    }

    /// <summary>
    /// <see cref="IdlePollGuard"/> had to move the worker back to normal priority at
    /// <paramref name="timestamp"/> (Stopwatch): another process wanted its core, where polling is
    /// only preempted, and a preempted poller is not woken by a packet. It sleeps at once for a
    /// while, then grows the window again from nothing. The while starts at
    /// <see cref="MinHoldOff"/> and doubles with every poll cut short in a row (up to
    /// <see cref="MaxHoldOff"/>), so a core that stays busy soon sees no polling at all, while one
    /// busy only now and then loses little of it.
    /// </summary>
    public void Starved(long timestamp)
    {
        var min = (long)(MinHoldOff.TotalSeconds * Stopwatch.Frequency);
        var max = (long)(MaxHoldOff.TotalSeconds * Stopwatch.Frequency);
        _holdOff = _holdOff == 0 ? min : Math.Min(max, _holdOff * 2);
        Microseconds = 0;
        _holdOffUntil = timestamp + _holdOff;
    }

    /// <summary>A poll ended by itself (a packet came, or the window closed): the core was free, the hold-off starts small again.</summary>
    public void Polled() => _holdOff = 0;
}
