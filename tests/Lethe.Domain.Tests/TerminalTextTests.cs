namespace Lethe.Domain.Tests;

/// <summary>Text quoted on a terminal: every escape shown stands for one thing only.</summary>
public class TerminalTextTests
{
    [Fact]
    public void a_literal_backslash_escape_is_told_apart_from_a_real_control_character()
    {
        // A reason typed as the four characters \x1B, as a real ESC is shown: the reader must see which is which.
        var typed = TerminalText.Safe("\\x1B");
        var real = TerminalText.Safe("\u001b");

        Assert.NotEqual(typed, real);
        Assert.Equal("\\\\x1B", typed);
        Assert.Equal("\\x1B", real);
    }

    [Fact]
    public void a_backslash_is_shown_doubled_whatever_follows_it()
    {
        Assert.Equal("C:\\\\tmp \\\\u2028 \\u2028", TerminalText.Safe("C:\\tmp \\u2028 \u2028"));
    }

    [Fact]
    public void text_with_nothing_to_escape_is_kept_as_it_is()
    {
        Assert.Equal("plain reason, wörk 日本語", TerminalText.Safe("plain reason, wörk 日本語"));
    }
}
