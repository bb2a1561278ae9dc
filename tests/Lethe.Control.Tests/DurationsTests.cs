using Lethe.Control.Cli;

namespace Lethe.Control.Tests;

/// <summary>`lethe publish --confirm-within`: the window is read in the unit it is written in.</summary>
public class DurationsTests
{
    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData("1440m", 86_400)]
    public void a_confirm_window_is_read_in_its_unit(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text));
}
