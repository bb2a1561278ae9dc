using System.Globalization;
using System.Text;

namespace Lethe.Control.Cli;

/// <summary>
/// How many terminal columns a text takes, counted per user-perceived character (a grapheme cluster of
/// UAX #29, as <see cref="StringInfo"/> splits them): an emoji takes two however many code points draw it
/// (✅, ❤️, 👨‍👩‍👧, 👍🏽, 🇯🇵), a symbol that is text unless asked otherwise one (❤, 🌡), Japanese, Chinese or
/// Korean two per character (a syllable written decomposed too), and a combining accent (a decomposed "é") none, so a table padded by
/// <see cref="string.Length"/> would not line up.
/// </summary>
public static class DisplayWidth
{
    /// <summary>VARIATION SELECTOR-15: the character before it is to be drawn as text.</summary>
    private const int TextSelector = 0xFE0E;

    /// <summary>VARIATION SELECTOR-16: the character before it is to be drawn as an emoji, two columns wide.</summary>
    private const int EmojiSelector = 0xFE0F;

    private const int ZeroWidthJoiner = 0x200D;

    public static int Of(string text)
    {
        var width = 0;
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var length = StringInfo.GetNextTextElementLength(rest);
            width += OfCluster(rest[..length]);
            rest = rest[length..];
        }
        return width;
    }

    private static int OfCluster(ReadOnlySpan<char> cluster)
    {
        var first = RuneAt(cluster, 0);
        var afterFirst = first.Utf16SequenceLength;
        var second = afterFirst < cluster.Length ? RuneAt(cluster, afterFirst).Value : -1;
        if (Of(first) > 0 && second != TextSelector && IsDrawnAsOneEmoji(cluster, first, second))
        {
            return 2;
        }
        // Text: each code point its own columns, as terminals that draw no sequences give them; VS15 makes an
        // emoji such as ✅ one column, and an ideograph stays two whatever follows it, those of default emoji
        // presentation (🈚, 🉐) too: East Asian Width, not the selector, makes them wide.
        var width = second == TextSelector && EmojiPresentation.Has(first.Value) && !IsWide(first.Value) ? 1 : Of(first);
        for (var at = afterFirst; at < cluster.Length;)
        {
            var rune = RuneAt(cluster, at);
            width += Of(rune);
            at += rune.Utf16SequenceLength;
        }
        return width;
    }

    /// <summary>
    /// The emoji UTS #51 defines as one picture, which terminals that draw them give two columns: a character
    /// of default emoji presentation, any character followed by VS16 (❤️, a keycap 1️⃣), two regional indicators
    /// (a flag), a symbol followed by a skin tone (✌🏽: a skin tone is Extend, so it stays in the cluster), and
    /// pictographs joined by ZWJ (UAX #29 keeps them one cluster only when a pictograph precedes the ZWJ;
    /// the symbol after it tells them from an Indic conjunct, which joins letters).
    /// </summary>
    private static bool IsDrawnAsOneEmoji(ReadOnlySpan<char> cluster, Rune first, int second)
    {
        if (second == EmojiSelector || EmojiPresentation.Has(first.Value)
            || (IsRegionalIndicator(first.Value) && IsRegionalIndicator(second)))
        {
            return true;
        }
        var firstIsSymbol = Rune.GetUnicodeCategory(first) == UnicodeCategory.OtherSymbol;
        var afterJoiner = false;
        for (var at = first.Utf16SequenceLength; at < cluster.Length;)
        {
            var rune = RuneAt(cluster, at);
            if ((firstIsSymbol && IsSkinTone(rune.Value))
                || (afterJoiner && Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherSymbol))
            {
                return true;
            }
            afterJoiner = rune.Value == ZeroWidthJoiner;
            at += rune.Utf16SequenceLength;
        }
        return false;
    }

    /// <summary>The code point at a position; an unpaired surrogate reads as U+FFFD, one column, as it is shown.</summary>
    private static Rune RuneAt(ReadOnlySpan<char> text, int at)
    {
        Rune.DecodeFromUtf16(text[at..], out var rune, out _);
        return rune;
    }

    /// <summary>
    /// Hangul Jamo vowels and final consonants (Jungseong, Jongseong): in a syllable written decomposed, as a Mac
    /// writes "한", they follow the leading consonant, whose two columns terminals draw them on (wcwidth gives them none).
    /// </summary>
    private static bool IsJamoVowelOrFinal(int c) => c is (>= 0x1160 and <= 0x11FF) or (>= 0xD7B0 and <= 0xD7FF);

    private static bool IsRegionalIndicator(int c) => c is >= 0x1F1E6 and <= 0x1F1FF;

    /// <summary>EMOJI MODIFIER FITZPATRICK TYPE-1-2 to TYPE-6.</summary>
    private static bool IsSkinTone(int c) => c is >= 0x1F3FB and <= 0x1F3FF;

    private static int Of(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            || IsJamoVowelOrFinal(rune.Value) ? 0
        : IsWide(rune.Value) || EmojiPresentation.Has(rune.Value) ? 2
        : 1;

    /// <summary>
    /// East_Asian_Width Wide or Fullwidth (UAX #11, EastAsianWidth.txt of Unicode 15) less the emoji of default
    /// emoji presentation, which <see cref="EmojiPresentation"/> holds: in the emoji blocks only those are wide, so
    /// a text symbol there (🌡, 🕊) is one column. A range runs on over code points still unassigned between wide ones.
    /// </summary>
    private static bool IsWide(int c) =>
        c is (>= 0x1100 and <= 0x115F)
            or (>= 0x2329 and <= 0x232A)
            or (>= 0x2E80 and <= 0x303E)
            or (>= 0x3041 and <= 0x3247)
            or (>= 0x3250 and <= 0x4DBF)
            or (>= 0x4E00 and <= 0xA4C6)
            or (>= 0xA960 and <= 0xA97C)
            or (>= 0xAC00 and <= 0xD7A3)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0xFE10 and <= 0xFE19)
            or (>= 0xFE30 and <= 0xFE6B)
            or (>= 0xFF01 and <= 0xFF60)
            or (>= 0xFFE0 and <= 0xFFE6)
            or (>= 0x16FE0 and <= 0x18D08)
            or (>= 0x1AFF0 and <= 0x1B2FB)
            or (>= 0x1F200 and <= 0x1F265)
            or (>= 0x20000 and <= 0x3FFFD);
}
