using Lethe.Control.Api;

namespace Lethe.Control.Tests;

/// <summary>"A time without an offset is UTC", whatever zone the control plane's machine is set to.</summary>
[Collection(ZoneCollection.Name)]
public class IsoTimeZoneTests
{
    [Theory]
    [InlineData("2026-11-28T21:00", 21)]
    [InlineData("2026-11-28 21:00:00.000000", 21)]
    [InlineData("2026-11-28", 0)]
    public void a_time_without_an_offset_is_utc_on_a_machine_in_another_zone(string text, int hour)
    {
        var zone = Environment.GetEnvironmentVariable("TZ");
        Environment.SetEnvironmentVariable("TZ", "Asia/Tokyo");
        TimeZoneInfo.ClearCachedData();
        try
        {
            // CI runs in UTC, where reading the time as local would pass unnoticed.
            Assert.Equal(TimeSpan.FromHours(9), TimeZoneInfo.Local.BaseUtcOffset);
            Assert.True(IsoTime.TryRead(text, out var time));
            Assert.Equal(new DateTimeOffset(2026, 11, 28, hour, 0, 0, TimeSpan.Zero), time);
            Assert.Equal(TimeSpan.Zero, time.Offset);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TZ", zone);
            TimeZoneInfo.ClearCachedData();
        }
    }
}
