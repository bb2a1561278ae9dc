namespace Lethe.TestSupport;

/// <summary>A clock the test moves by hand, for expiry and commit-confirmed deadlines.</summary>
/// <remarks>
/// Its monotonic clock (<see cref="GetTimestamp"/>) moves with <see cref="Advance"/> only: <see cref="Step"/>
/// sets the wall clock alone, as NTP stepping the machine's clock does.
/// </remarks>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private long _ticks;

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    /// <summary>Time passes: both clocks move on.</summary>
    public void Advance(TimeSpan by)
    {
        _now += by;
        _ticks += Math.Max(0, by.Ticks);
    }

    /// <summary>The wall clock is set forwards or back (NTP's step, an operator's `date -s`); no time passes.</summary>
    public void Step(TimeSpan by) => _now += by;
}
