namespace Lethe.Control.Tests;

/// <summary>
/// A refusal quoting what was typed on the command line shows it as a terminal cannot act on it (escaped), and a pasted
/// blob by its start and length, as rule refusals do: a value from `$(cat file)` can neither clear the screen nor fill it.
/// </summary>
public class CliTypedValueTests
{
    [Theory]
    [InlineData("rollback|cf|--to|1\u001b[2J|-m|undo", "--to: '1\\x1B[2J' is not a whole number")] // the parser's refusal of a value
    [InlineData("policy|list|\u202eevil", "'\\u202Eevil'")] // an argument too many, with a bidirectional override
    [InlineData("publish|cf|--if-match|7\u2028|-m|x", "--if-match: '7\\u2028' is not a policy version")] // a check of the CLI's own
    [InlineData("show|cf|--at|10:00\r", "--at: '10:00\\x0D' is not a time")] // refused before the server is asked
    public async Task a_typed_value_is_quoted_escaped(string line, string expected)
    {
        var run = await OfflineCli.Run("", line.Split('|'));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Err);
        Assert.DoesNotContain(run.Err, c => c != '\n' && Lethe.Domain.TerminalText.Acts(c));
    }

    [Theory]
    [InlineData("policy|list|{0}")]
    [InlineData("rollback|cf|--to|{0}|-m|undo")]
    [InlineData("show|cf|--at|{0}")]
    public async Task a_pasted_blob_is_quoted_by_its_start_and_length(string line)
    {
        var blob = new string('\u00e9', 100_000);

        var run = await OfflineCli.Run("", line.Split('|').Select(word => string.Format(System.Globalization.CultureInfo.InvariantCulture, word, blob)).ToArray());

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("(100,000 characters)", run.Err);
        Assert.True(run.Err.Length < 1_000, run.Err[..Math.Min(run.Err.Length, 300)]);
    }

    [Fact]
    public async Task a_deep_path_that_cannot_be_read_is_named_whole()
    {
        // Deeper than any value a refusal cuts, far short of a pasted blob: the user needs all of it to find the file.
        var path = "/tmp/" + string.Join('/', Enumerable.Repeat("a-folder-that-is-not-there", 12)) + "/rules.txt";

        var run = await OfflineCli.Run("", ["rule", "import", "cf", "work", path, "-m", "import"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(path, run.Err);
        Assert.DoesNotContain("characters)", run.Err);
    }
}
