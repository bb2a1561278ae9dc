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
