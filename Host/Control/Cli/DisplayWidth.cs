using System.Globalization;
using System.Text;

namespace Lethe.Control.Cli;

/// <summary>
/// How many terminal columns a text takes: a reason or an actor in Japanese, Chinese or Korean takes
/// two per character, as does an emoji such as ✅ or ⭐ (or ❤️, a text symbol followed by VARIATION SELECTOR-16), and a
/// combining accent (a decomposed "é") none, so a table padded by
/// <see cref="string.Length"/> would not line up.
/// </summary>
public static class DisplayWidth
{
    /// <summary>VARIATION SELECTOR-15: the character before it is to be drawn as text.</summary>
    private const int TextSelector = 0xFE0E;

    /// <summary>VARIATION SELECTOR-16: the character before it is to be drawn as an emoji, two columns wide.</summary>
    private const int EmojiSelector = 0xFE0F;

    public static int Of(string text)
    {
        var width = 0;
        // The last character that takes columns, until a selector has had its say on it (only the first counts).
        var baseRune = default(Rune);
        var baseWidth = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is EmojiSelector or TextSelector)
            {
                if (baseWidth > 0)
                {
                    // A terminal draws ❤ (text by default) followed by VS16 as the emoji, two columns, and ✅
                    // followed by VS15 as text, one; an ideograph is two columns whatever follows it.
                    var drawn = rune.Value == EmojiSelector ? 2
                        : EmojiPresentation.Has(baseRune.Value) ? 1
                        : baseWidth;
                    width += drawn - baseWidth;
                    baseWidth = 0;
                }
                continue;
            }
            var runeWidth = Of(rune);
            if (runeWidth > 0)
            {
                baseRune = rune;
                baseWidth = runeWidth;
            }
            width += runeWidth;
        }
        return width;
    }

    private static int Of(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format ? 0
        : IsWide(rune.Value) || EmojiPresentation.Has(rune.Value) ? 2
        : 1;

    /// <summary>The blocks Unicode's East Asian Width calls wide or fullwidth, and the emoji blocks terminals draw two columns wide.</summary>
    private static bool IsWide(int c) =>
        c is (>= 0x1100 and <= 0x115F)
            or (>= 0x2E80 and <= 0x303E)
            or (>= 0x3041 and <= 0x33FF)
            or (>= 0x3400 and <= 0x4DBF)
            or (>= 0x4E00 and <= 0x9FFF)
            or (>= 0xA000 and <= 0xA4CF)
            or (>= 0xA960 and <= 0xA97F)
            or (>= 0xAC00 and <= 0xD7A3)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0xFE10 and <= 0xFE19)
            or (>= 0xFE30 and <= 0xFE6F)
            or (>= 0xFF00 and <= 0xFF60)
            or (>= 0xFFE0 and <= 0xFFE6)
            or (>= 0x1F300 and <= 0x1F64F)
            or (>= 0x1F680 and <= 0x1F6FF)
            or (>= 0x1F900 and <= 0x1F9FF)
            or (>= 0x1FA70 and <= 0x1FAFF)
            or (>= 0x20000 and <= 0x3FFFD);
}
