using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// `lethe-firewall --version` prints the version; a --version (or --help) in a command line that does not parse is no
/// question: it is a flag error like any other (exit 2, `error: `), not the version with exit 0, nor bare parser text.
/// </summary>
public sealed class FirewallVersionTests
{
    [Fact]
    public async Task version_alone_prints_the_version()
    {
        var (code, output, error) = await Run("--version");

        Assert.Equal((0, ""), (code, error));
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData("verfy --version", "verfy", "lethe-firewall --help")] // a misspelt command: exit 0 would read as "verified"
    [InlineData("verify --snapshot x --version", "--version", "lethe-firewall verify --help")]
    [InlineData("nft --snapshot x --trust k --version --bogus", "--bogus", "lethe-firewall nft --help")]
    public async Task a_command_line_that_does_not_parse_is_a_flag_error_even_with_version_in_it(string line, string named, string help)
    {
        var (code, output, error) = await Run(line.Split(' '));

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains($"'{named}'", error);
        Assert.Contains($"(see: {help})", error);
        Assert.Equal("", output);
    }

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FirewallCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
