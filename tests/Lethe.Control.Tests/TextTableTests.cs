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
    public void a_text_symbol_followed_by_the_emoji_selector_takes_two_columns(string emoji)
    {
        var text = TextTable.Render(["REASON", "SUMMARY"], [[$"love {emoji}", "one"], ["love xx", "two"]]);

        Assert.Equal($"REASON   SUMMARY\nlove {emoji}  one\nlove xx  two\n", text);
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
    public void a_cell_holding_terminal_escapes_is_shown_escaped_and_the_columns_stay_aligned()
    {
        // The server at --server answers; one that is not Lethe's (a proxy in the way) could send anything.
        var text = TextTable.Render(["ACTOR", "REASON"], [["ops\u001b[2J\r", "one"], ["operator", "two"]]);

        Assert.Equal("ACTOR           REASON\nops\\x1B[2J\\x0D  one\noperator        two\n", text);
    }
}
