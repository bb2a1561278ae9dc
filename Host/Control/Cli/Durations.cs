using System.Globalization;

namespace Lethe.Control.Cli;

public static class Durations
{
    /// <summary>"90s", "5m", "1h" or plain seconds.</summary>
    public static TimeSpan Parse(string text)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? text[^1] : 's';
        var digits = char.IsLetter(text.LastOrDefault()) ? text[..^1] : text;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new CliException($"'{text}' is not a duration: use a whole number with s, m or h (e.g. 90s, 5m, 1h)");
        }
        if (n == 0)
        {
            throw new CliException($"'{text}': the confirm window must be between 1 second and 1 day");
        }
        return unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            _ => throw new CliException($"'{text}': the unit must be s, m or h"),
        };
    }
}
