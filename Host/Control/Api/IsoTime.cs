using System.Globalization;
using System.Text.RegularExpressions;

namespace Lethe.Control.Api;

/// <summary>
/// A moment as ISO 8601 writes it, and as `lethe history` prints it (a space for the T): nothing
/// else, since a loose parse reads 03/04/2026 as 4 March and 10:00 as today, and an audit query
/// would then show another moment than the one asked for, without a word.
/// </summary>
public static partial class IsoTime
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd",
    ];

    /// <summary>A time without an offset is UTC, as `lethe history` prints it; a date alone is its midnight, UTC.</summary>
    public static bool TryRead(string text, out DateTimeOffset time)
    {
        time = default;
        return Normalized(text.Trim()) is { } iso
            && DateTimeOffset.TryParseExact(iso, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    /// <summary>
    /// The forms of ISO 8601 .NET's patterns miss, as the ones they take: a comma before the fraction
    /// (the standard's preferred sign, and GNU `date --iso-8601=ns`'s), more fraction digits than a
    /// tick holds (nine from that and from Go; cut, to the tick at or before the time), and an offset
    /// of whole hours without its minutes. Null for any other text: .NET's offset pattern alone would
    /// also take <c>+2:00</c>. A zero offset with a minus sign (RFC 3339's <c>-00:00</c>, "local offset
    /// unknown") is still UTC: the instant is the same, only the writer's zone is not said.
    /// </summary>
    private static string? Normalized(string text)
    {
        var match = Extended().Match(text);
        if (!match.Success)
        {
            return DateAlone().IsMatch(text) ? text : null;
        }
        var fraction = match.Groups["fraction"].Value;
        var offset = match.Groups["offset"].Value;
        return match.Groups["time"].Value
            + (fraction.Length == 0 ? "" : "." + fraction[..Math.Min(fraction.Length, 7)])
            + (offset.Length == 3 ? offset + ":00" : offset);
    }

    [GeneratedRegex(@"^(?<time>[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(?:[.,](?<fraction>[0-9]+))?(?<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Extended();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateAlone();
}
