using Lethe.Control.Api;

namespace Lethe.Control.Tests;

/// <summary>The times `show --at` and `?at=` take: ISO 8601, as other tools write it.</summary>
public class IsoTimeTests
{
    [Theory]
    // ISO 8601 prefers the comma before a fraction; GNU `date --iso-8601=ns` writes it, with nine digits.
    [InlineData("2026-11-28T21:00:00,5Z", 5_000_000)]
    [InlineData("2026-11-28T21:00:00,123456789+00:00", 1_234_567)]
    [InlineData("2026-11-28 21:00:00,25", 2_500_000)]
    // Go's RFC 3339 with nanoseconds: more digits than a tick holds, cut to the tick at or before.
    [InlineData("2026-11-28T21:00:00.123456789Z", 1_234_567)]
    // An offset of whole hours may leave out its minutes.
    [InlineData("2026-11-28T23:00:00+02", 0)]
    [InlineData("2026-11-28T23:00+02", 0)]
    [InlineData("2026-11-28T18:30:00-0230", 0)]
    // RFC 3339's zero offset of an unknown zone is the same instant as Z.
    [InlineData("2026-11-28T21:00:00-00:00", 0)]
    [InlineData("2026-11-28T21:00:00-00", 0)]
    public void an_iso_8601_time_as_other_tools_write_it_is_read(string text, long ticksPastNine)
    {
        Assert.True(IsoTime.TryRead(text, out var time));

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 21, 0, 0, TimeSpan.Zero).AddTicks(ticksPastNine), time);
    }

    [Theory]
    [InlineData("2026-11-28T21:00:00,Z")]
    [InlineData("2026-11-28T21:00,5Z")]
    [InlineData("2026-11-28T21:00:00+2")]
    // README: an offset as Z, +hh:mm, +hhmm or +hh; nothing looser.
    [InlineData("2026-11-28T23:00:00+2:00")]
    [InlineData("2026-11-28T23:00+2:00")]
    [InlineData("2026-11-28 23:00:00+2:00")]
    [InlineData("2026-11-28T21:00:00z")]
    [InlineData("2026-11-28T21:00:00 +02:00")]
    [InlineData("2026-11-28T23:00:00+02:0")]
    [InlineData("2026-11-28T23:00:00+020")]
    [InlineData("28.11.2026 21:00")]
    public void anything_else_is_still_refused(string text) =>
        Assert.False(IsoTime.TryRead(text, out _));
}
