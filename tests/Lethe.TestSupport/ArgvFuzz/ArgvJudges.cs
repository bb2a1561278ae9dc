using System.Globalization;

namespace Lethe.TestSupport.ArgvFuzz;

/// <summary>Common judges of a slot's value (see <see cref="ArgvSlot.Judge"/>): false when the program surely refuses it.</summary>
public static class ArgvJudges
{
    /// <summary>Anything may be refused or taken: the value alone does not say.</summary>
    public static bool? Any(string _) => null;

    /// <summary>A whole number System.CommandLine reads (sign and blanks around it allowed) within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Func<string, bool?> Whole(long min, long max, long typeMin = int.MinValue, long typeMax = int.MaxValue) => text =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= typeMin && n <= typeMax
            ? (n >= min && n <= max ? null : false)
            : false;

    /// <summary>Only these exact values are taken.</summary>
    public static Func<string, bool?> OneOf(params string[] values) => text => values.Contains(text, StringComparer.Ordinal) ? null : false;

    /// <summary>A policy or client name: 1 to 63 of a-z 0-9 - _, starting with a letter or digit.</summary>
    public static bool WellFormedName(string text) =>
        text.Length is >= 1 and <= 63 && char.IsAsciiLetterLower(text[0]) | char.IsAsciiDigit(text[0])
        && text.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    /// <summary>The name of something that exists: any other is refused (malformed, or 404).</summary>
    public static Func<string, bool?> Existing(string name) => text => text == name ? null : false;

    /// <summary>
    /// A reason as the README states it: one line of up to 500 characters with something visible, no control characters,
    /// line or paragraph separators or bidirectional overrides. What is left is taken or refused by rules this judge does not repeat.
    /// </summary>
    public static bool? Reason(string text) =>
        text.Length is 0 or > 500 || string.IsNullOrWhiteSpace(text)
        || text.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029' || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069')
            ? false
            : null;

    /// <summary>An existing regular file the program may read; a folder, a missing path or an empty one is refused.</summary>
    public static bool? ReadableFileOrRefused(string text) =>
        text.Length == 0 || Directory.Exists(text) || !File.Exists(text) ? false : null;
}
