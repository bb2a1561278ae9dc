using System.Globalization;

namespace Lethe.Control.Cli;

public static class Durations
{
    private const long MaxSeconds = 86_400;

    /// <summary>"90s", "5m", "1h" or plain seconds.</summary>
    public static TimeSpan Parse(string text)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? text[^1] : 's';
        var digits = char.IsLetter(text.LastOrDefault()) ? text[..^1] : text;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new CliException($"'{text}' is not a duration: use a whole number with s, m or h (e.g. 90s, 5m, 1h)");
        }
        long perUnit = unit switch
        {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => throw new CliException($"'{text}': the unit must be s, m or h"),
        };
        // Checked here, in whole seconds: TimeSpan.FromHours of a large count overflows with a stack trace.
        var seconds = n * perUnit;
        if (seconds is < 1 or > MaxSeconds)
        {
            throw new CliException($"'{text}': the confirm window must be between 1 second and 1 day");
        }
        return TimeSpan.FromSeconds(seconds);
    }
}
