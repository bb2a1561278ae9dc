namespace Lethe.Firewall;

/// <summary>
/// Replay's two clocks, read from the capture's timestamps, which are the capturing host's wall clock.
/// The wall clock is each packet's own timestamp: a rule's expire is judged by it, as boot judges it by
/// the system's, a step back included. The engine's clock (flow timeouts, the answers' rate limit) is
/// boot's monotonic one: it moves on with the timestamps, and where they go back by more than
/// <see cref="LargestReorderMicros"/>, a second (NTP stepped the capturing host's clock back), it goes on from where it
/// was instead, as boot's would have gone on through that step. Without such a step it reads the
/// timestamps themselves.
/// </summary>
public sealed class CaptureClock : TimeProvider
{
    /// <summary>How far back a timestamp may be and still be a packet captured out of order (another queue's), not a step.</summary>
    public const long LargestReorderMicros = 1_000_000;

    private long _stamp;
    private long _offset;
    private long _monotonic = long.MinValue;

    /// <summary>Takes the next packet's timestamp, in microseconds since 1970.</summary>
    public void Next(long micros)
    {
        _stamp = micros;
        if (_monotonic != long.MinValue && micros + _offset < _monotonic - LargestReorderMicros)
        {
            _offset = _monotonic - micros;
        }
        // Out of order by less: the engine's clock holds still rather than go back.
        _monotonic = Math.Max(_monotonic, micros + _offset);
    }

    /// <summary>The engine's clock, in milliseconds: the first packet's timestamp, plus the time since.</summary>
    public long MonotonicMs => _monotonic / 1000;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(_stamp * 10);
}
