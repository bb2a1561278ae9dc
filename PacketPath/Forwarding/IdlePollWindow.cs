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

    /// <summary>How long a worker does not poll after a poll of its was cut short (<see cref="Starved"/>).</summary>
    public static readonly TimeSpan HoldOff = TimeSpan.FromSeconds(1);

    private long _holdOffUntil;

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
    /// <see cref="IdlePollGuard"/> had to move the worker back to normal priority at
    /// <paramref name="timestamp"/> (Stopwatch): another process wants its core, so polling there
    /// would only be preempted again. It sleeps at once for <see cref="HoldOff"/>, then grows the
    /// window again from nothing.
    /// </summary>
    public void Starved(long timestamp)
    {
        Microseconds = 0;
        _holdOffUntil = timestamp + (long)(HoldOff.TotalSeconds * Stopwatch.Frequency);
    }
}
