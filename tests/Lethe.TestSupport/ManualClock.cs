namespace Lethe.TestSupport;

/// <summary>A clock the test moves by hand, for expiry and commit-confirmed deadlines.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
