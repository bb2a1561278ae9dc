using System.Globalization;
using System.Text;

namespace Lethe.Domain;

/// <summary>
/// Text someone else wrote (a line of a rules file, an answer from the server at a URL, a field of a snapshot
/// file not yet verified), made fit to quote on one line of a terminal or a log: characters that would act
/// rather than show are written as escapes.
/// </summary>
public static class TerminalText
{
    /// <remarks>
    /// ESC starts sequences that move the cursor, clear the screen or set the window title; CR and backspace
    /// write over what a line already showed; a line break or U+2028 makes one line pass for two; a
    /// bidirectional override shows words in another order than they were written. Each is written as
    /// <c>\xHH</c> or <c>\uHHHH</c>, so the reader sees what was there; a backslash is written as <c>\\</c>,
    /// so a value that holds the characters <c>\x1B</c> is not taken for an ESC shown escaped.
    /// </remarks>
    public static string Safe(string text)
    {
        var at = 0;
        while (at < text.Length && !Acts(text[at]) && text[at] != '\\')
        {
            at++;
        }
        if (at == text.Length)
        {
            return text;
        }
        var safe = new StringBuilder(text.Length + 8).Append(text, 0, at);
        for (; at < text.Length; at++)
        {
            var c = text[at];
            if (c == '\\')
            {
                safe.Append(@"\\");
            }
            else if (!Acts(c))
            {
                safe.Append(c);
            }
            else if (c < 0x100)
            {
                safe.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                safe.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }
        return safe.ToString();
    }

    /// <summary>True when the text holds nothing a terminal would act on (a backslash is plain text, though <see cref="Safe"/> doubles it).</summary>
    public static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (Acts(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional embeddings, overrides and isolates.</summary>
    public static bool Acts(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' or >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
}
