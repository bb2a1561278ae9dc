using Lethe.Control.Cli;

namespace Lethe.Control.Tests;

/// <summary>The tables `history`, `policy list` and `snapshot list` print, as a terminal shows them.</summary>
public class TextTableTests
{
    [Fact]
    public void a_column_after_japanese_text_starts_where_it_does_after_latin_text_of_the_same_width()
    {
        // Six ideographs take twelve columns on a terminal, as "plain reason" does.
        var text = TextTable.Render(["REASON", "SUMMARY"], [["日本語の理由", "one"], ["plain reason", "two"]]);

        Assert.Equal("REASON        SUMMARY\n日本語の理由  one\nplain reason  two\n", text);
    }

    [Theory]
    [InlineData("\U0001F680")] // rocket, of Transport and Map Symbols
    [InlineData("\U0001FAE1")] // saluting face, of Symbols and Pictographs Extended-A
    public void an_emoji_of_the_other_emoji_blocks_takes_two_columns_as_the_terminal_draws_it(string emoji)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"ship {emoji}", "one"], ["ship xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\nship {emoji}  one\nship xx  two\n", text);
    }

    // Emoji_Presentation=Yes outside the emoji blocks: terminals draw them two columns wide, as East Asian Width W says.
    [Theory]
    [InlineData("\u2705")] // white heavy check mark
    [InlineData("\u2B50")] // white medium star
    [InlineData("\u231A")] // watch
    [InlineData("\u2615")] // hot beverage
    [InlineData("\u26D4")] // no entry
    [InlineData("\U0001F004")] // mahjong red dragon
    [InlineData("\U0001F7E2")] // large green circle
    public void an_emoji_shown_as_emoji_by_default_takes_two_columns(string emoji)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"done {emoji}", "one"], ["done xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\ndone {emoji}  one\ndone xx  two\n", text);
    }

    // Symbols that are text unless a variation selector asks for the emoji: one column, as terminals draw them.
    [Theory]
    [InlineData("\u2714")] // heavy check mark
    [InlineData("\u2764")] // heavy black heart
    [InlineData("\u263A")] // white smiling face
    public void a_symbol_shown_as_text_by_default_takes_one_column(string symbol)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"done {symbol}", "one"], ["done x", "two"]]);

        Assert.Equal($"REASON  SUMMARY\ndone {symbol}  one\ndone x  two\n", text);
    }

    // VARIATION SELECTOR-16 asks for the emoji: terminals then draw the symbol two columns wide (❤️ in a reason).
    [Theory]
    [InlineData("\u2764\uFE0F")] // red heart
    [InlineData("\u2714\uFE0F")] // heavy check mark as emoji
    [InlineData("\u263A\uFE0F")] // smiling face as emoji
    [InlineData("\U0001F321\uFE0F")] // thermometer as emoji
    public void a_text_symbol_followed_by_the_emoji_selector_takes_two_columns(string emoji)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"love {emoji}", "one"], ["love xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\nlove {emoji}  one\nlove xx  two\n", text);
    }

    // A sequence a terminal draws as one emoji is two columns, however many code points it holds.
    [Theory]
    [InlineData("\U0001F468\u200D\U0001F469\u200D\U0001F467")] // family: man, woman, girl joined by ZERO WIDTH JOINER
    [InlineData("\U0001F3F3\uFE0F\u200D\U0001F308")] // rainbow flag: a white flag as emoji joined to a rainbow
    [InlineData("\U0001F3F3\u200D\U0001F308")] // rainbow flag with the selector left out
    [InlineData("\u2764\uFE0F\u200D\U0001F525")] // heart on fire: a text symbol as emoji joined to a fire
    [InlineData("\U0001F44D\U0001F3FD")] // thumbs up with a skin tone
    [InlineData("\u270C\U0001F3FD")] // victory hand, text by default, with a skin tone
    [InlineData("\U0001F1EF\U0001F1F5")] // the flag of Japan, two regional indicators
    [InlineData("\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F")] // the flag of Scotland, a black flag and tags
    [InlineData("1\uFE0F\u20E3")] // keycap one
    public void an_emoji_sequence_drawn_as_one_glyph_takes_two_columns(string emoji)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"team {emoji}", "one"], ["team xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\nteam {emoji}  one\nteam xx  two\n", text);
    }

    [Fact]
    public void two_flags_side_by_side_take_two_columns_each()
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [["\U0001F1EF\U0001F1F5\U0001F1EB\U0001F1F7", "one"], ["xxxx", "two"]]);

        Assert.Equal("REASON  SUMMARY\n\U0001F1EF\U0001F1F5\U0001F1EB\U0001F1F7    one\nxxxx    two\n", text);
    }

    // Symbols of the emoji blocks that are text unless VARIATION SELECTOR-16 follows: one column, as terminals draw them.
    [Theory]
    [InlineData("\U0001F321")] // thermometer
    [InlineData("\U0001F54A")] // dove of peace
    [InlineData("\U0001F5A5")] // desktop computer
    [InlineData("\U0001F6CB")] // couch and lamp
    [InlineData("\U0001F90A")] // circled cross formee, of Supplemental Symbols and Pictographs, no emoji at all
    public void a_symbol_of_the_emoji_blocks_shown_as_text_by_default_takes_one_column(string symbol)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"temp {symbol}", "one"], ["temp x", "two"]]);

        Assert.Equal($"REASON  SUMMARY\ntemp {symbol}  one\ntemp x  two\n", text);
    }

    // East Asian Width calls the enclosed ideographs wide, emoji or not.
    [Theory]
    [InlineData("\U0001F202")] // squared katakana sa, text by default
    [InlineData("\U0001F210")] // squared CJK ideograph "hand"
    [InlineData("\U0001F21A\uFE0E")] // squared CJK ideograph "free of charge", an emoji by default, with the text selector
    [InlineData("\U0001F250\uFE0E")] // circled ideograph "advantage", the same
    public void an_enclosed_ideograph_takes_two_columns(string ideograph)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"sign {ideograph}", "one"], ["sign xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\nsign {ideograph}  one\nsign xx  two\n", text);
    }

    // VARIATION SELECTOR-15 asks for the text glyph: one column, whatever the symbol's default.
    [Theory]
    [InlineData("\u2764\uFE0E")] // heavy black heart, text asked for
    [InlineData("\u2705\uFE0E")] // white heavy check mark, text asked for
    public void a_symbol_followed_by_the_text_selector_takes_one_column(string symbol)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"done {symbol}", "one"], ["done x", "two"]]);

        Assert.Equal($"REASON  SUMMARY\ndone {symbol}  one\ndone x  two\n", text);
    }

    [Fact]
    public void a_selector_repeated_or_after_a_wide_character_adds_no_column()
    {
        // Only the first selector counts, and an ideograph is two columns already.
        var text = TextTable.Render(["REASON", "SUMMARY"], [["\u2764\uFE0F\uFE0F \u65E5\uFE0F", "one"], ["xx xx", "two"]]);

        Assert.Equal("REASON  SUMMARY\n\u2764\uFE0F\uFE0F \u65E5\uFE0F   one\nxx xx   two\n", text);
    }

    [Fact]
    public void a_combining_accent_takes_no_column_of_its_own()
    {
        // "Café" as a Mac writes it (e and U+0301): four columns, as "Cafe" is.
        var text = TextTable.Render(["ACTOR", "REASON"], [["Cafe\u0301", "one"], ["Cafe", "two"]]);

        Assert.Equal("ACTOR  REASON\nCafe\u0301   one\nCafe   two\n", text);
    }

    [Fact]
    public void a_korean_syllable_as_a_mac_writes_it_takes_two_columns_as_the_composed_one_does()
    {
        // "한국" as a Mac writes it (each syllable a leading consonant, a vowel and a final consonant of Hangul Jamo):
        // terminals draw the vowel and the final on the leading consonant's two columns, as they draw "한국".
        const string decomposed = "\u1112\u1161\u11AB\u1100\u116E\u11A8";
        var text = TextTable.Render(["ACTOR", "REASON"], [[decomposed, "one"], ["\uD55C\uAD6D", "two"]]);

        Assert.Equal($"ACTOR  REASON\n{decomposed}   one\n\uD55C\uAD6D   two\n", text);
    }

    [Fact]
    public void a_cell_holding_terminal_escapes_is_shown_escaped_and_the_columns_stay_aligned()
    {
        // The server at --server answers; one that is not Lethe's (a proxy in the way) could send anything.
        var text = TextTable.Render(["ACTOR", "REASON"], [["ops\u001b[2J\r", "one"], ["operator", "two"]]);

        Assert.Equal("ACTOR           REASON\nops\\x1B[2J\\x0D  one\noperator        two\n", text);
    }
}
