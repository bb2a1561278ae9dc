namespace Lethe.Control.Tests;

/// <summary>`lethe --version` prints the version; a --version in a command line that does not parse is no question, and is refused.</summary>
public class CliVersionTests
{
    [Fact]
    public async Task version_alone_prints_the_version()
    {
        var run = await OfflineCli.Run("", "--version");

        Assert.Equal((0, ""), (run.ExitCode, run.Err));
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Out);
    }

    [Theory]
    [InlineData("confirx cf --version 3", "confirx")] // a misspelt `confirm cf --version 3`: exit 0 with the version read as "confirmed"
    [InlineData("--version --json", "--json")]
    public async Task a_command_line_that_does_not_parse_is_refused_even_with_version_in_it(string line, string named)
    {
        var run = await OfflineCli.Run("", line.Split(' '));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Err);
        Assert.Contains($"'{named}'", run.Err);
        Assert.Equal("", run.Out);
    }
}
