using System.Globalization;
using System.Text;

namespace Lethe.Domain;

/// <summary>
/// A value someone else wrote, quoted in a refusal without letting its length take over the line: a rule with a
/// megabyte key, or a snapshot file with a 16 MiB field, would otherwise be refused with that megabyte quoted.
/// </summary>
/// <remarks>
/// A value that shows in <see cref="MaxShown"/> characters or fewer (every name, address, hash and key id Lethe
/// uses) is quoted whole, as it always was. A longer one shows its first characters, then <c>...</c> and its
/// length: <c>'aaaa...' (1,048,576 characters)</c>, so the user still recognises it. The cut never falls inside
/// an escape <see cref="TerminalText.Safe"/> writes, nor between the two halves of a surrogate pair.
/// </remarks>
public static class QuotedText
{
    /// <summary>
    /// Characters of a value shown, escapes counted as they are written. Whole: a SHA-256 in hex (64), a name (63), a
    /// host name's label (63), the longest IPv6 network (49). Small enough that a refusal quoting two cut values
    /// (an address and its bad part) stays under 300 characters.
    /// </summary>
    public const int MaxShown = 64;

    /// <summary>
    /// 'value', not escaped: for a rule's words (refused first if the rule holds anything but printable ASCII, and
    /// escaped by whoever prints the refusal) or a request's value answered in JSON, which escapes it itself.
    /// </summary>
    public static string Quote(string value) => Show(value, escape: false, quoted: true);

    /// <summary>'value', escaped as <see cref="TerminalText.Safe"/> writes it.</summary>
    public static string QuoteSafe(string value) => Show(value, escape: true, quoted: true);

    /// <summary>The value without quotes (a hash, a key id, a name in running text), escaped as <see cref="TerminalText.Safe"/> writes it.</summary>
    public static string Safe(string value) => Show(value, escape: true, quoted: false);

    /// <summary>
    /// A name or id in running text: as it is when it is one Lethe makes (1 to 63 of a-z, 0-9, '-' and '_'), else quoted as
    /// <see cref="QuoteSafe"/> quotes a value. A request can name what no policy holds: a megabyte, an ESC.
    /// </summary>
    public static string Name(string value) => IsPlainName(value) ? value : QuoteSafe(value);

    /// <summary>A name or id as Lethe makes them: 1 to 63 of a-z, 0-9, '-' and '_'.</summary>
    internal static bool IsPlainName(string? value)
    {
        if (value is null || value.Length is < 1 or > 63)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (c is not (>= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    private static string Show(string value, bool escape, bool quoted)
    {
        var quote = quoted ? "'" : "";
        var end = Fits(value, escape);
        if (end == value.Length)
        {
            return quote + (escape ? TerminalText.Safe(value) : value) + quote;
        }
        var start = value[..end];
        return quote + (escape ? TerminalText.Safe(start) : start) + "..." + quote + Counted(value);
    }

    /// <summary>
    /// A line of text (a sentence, not a value) longer than <paramref name="most"/> UTF-16 units, cut to its start, <c>...</c>
    /// and its length as a quoted value is; not escaped. Never cut between the two halves of a surrogate pair.
    /// </summary>
    public static string Cut(string line, int most)
    {
        if (line.Length <= most)
        {
            return line;
        }
        var end = char.IsHighSurrogate(line[most - 1]) ? most - 1 : most;
        return line[..end] + "..." + Counted(line);
    }

    /// <summary>Only a cut-off value is counted, and only on refusal: characters as a reader counts them (an emoji is one).</summary>
    private static string Counted(string value)
    {
        var characters = 0;
        foreach (var _ in value.EnumerateRunes())
        {
            characters++;
        }
        return " (" + characters.ToString("N0", CultureInfo.InvariantCulture) + " characters)";
    }

    /// <summary>How many UTF-16 units of the value show within <see cref="MaxShown"/>: all of them, or where to cut.</summary>
    private static int Fits(string value, bool escape)
    {
        var shown = 0;
        var at = 0;
        while (at < value.Length)
        {
            var c = value[at];
            var units = char.IsHighSurrogate(c) && at + 1 < value.Length && char.IsLowSurrogate(value[at + 1]) ? 2 : 1;
            var width = !escape ? units : c == '\\' ? 2 : !TerminalText.Acts(c) ? units : c < 0x100 ? 4 : 6;
            if (shown + width > MaxShown)
            {
                return at;
            }
            shown += width;
            at += units;
        }
        return at;
    }
}
