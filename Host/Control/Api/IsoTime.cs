using System.Globalization;

namespace Lethe.Control.Api;

/// <summary>
/// A moment as ISO 8601 writes it, and as `lethe history` prints it (a space for the T): nothing
/// else, since a loose parse reads 03/04/2026 as 4 March and 10:00 as today, and an audit query
/// would then show another moment than the one asked for, without a word.
/// </summary>
public static class IsoTime
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd",
    ];

    /// <summary>A time without an offset is UTC, as `lethe history` prints it; a date alone is its midnight, UTC.</summary>
    public static bool TryRead(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(text.Trim(), Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
}
