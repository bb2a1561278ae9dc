namespace Lethe.Control.Tests;

/// <summary>Each command's --help lists the shared options it takes, and no other.</summary>
public class CliHelpTests
{
    [Theory]
    [InlineData("rule add", "--server --token --json --if-match", "")]
    [InlineData("policy list", "--server --token --json", "--if-match")]
    [InlineData("policy create", "--server --token --json", "--if-match")]
    [InlineData("rule parse", "--json", "--server --token --if-match")]
    [InlineData("snapshot verify", "--json", "--server --token --if-match")]
    [InlineData("serve", "--urls", "--server --token --json --if-match")]
    public async Task a_commands_help_lists_the_shared_options_it_takes_and_no_other(string command, string listed, string absent)
    {
        var run = await OfflineCli.Run("", [.. command.Split(' '), "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.All(listed.Split(' ', StringSplitOptions.RemoveEmptyEntries), option => Assert.Contains(option, run.Out));
        Assert.All(absent.Split(' ', StringSplitOptions.RemoveEmptyEntries), option => Assert.DoesNotContain(option, run.Out));
    }

    [Fact]
    public void every_argument_and_option_of_every_command_says_in_help_what_to_give()
    {
        var root = Lethe.Control.Cli.LetheCli.Build(new Lethe.Control.Cli.CliContext(TextWriter.Null, TextWriter.Null, TextReader.Null,
            () => throw new InvalidOperationException("help needs no control plane")));
        var undescribed = new List<string>();
        void Walk(System.CommandLine.Command command, string path)
        {
            undescribed.AddRange(command.Arguments.Where(a => string.IsNullOrWhiteSpace(a.Description)).Select(a => $"{path} <{a.Name}>"));
            undescribed.AddRange(command.Options.Where(o => !o.Hidden && string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{path} {o.Name}"));
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, $"{path} {sub.Name}");
            }
        }

        Walk(root, "lethe");

        Assert.Empty(undescribed);
    }

    [Fact]
    public async Task confirms_help_says_what_reason_the_history_records_when_none_is_given()
    {
        var run = await OfflineCli.Run("", "confirm", "--help");

        Assert.Equal(0, run.ExitCode);
        var reasonLine = run.Lines().Single(line => line.TrimStart().StartsWith("-m, --reason", StringComparison.Ordinal));
        Assert.DoesNotContain("(REQUIRED)", reasonLine);
        Assert.Contains("default: confirmed", reasonLine);
    }

    [Fact]
    public async Task an_option_a_command_does_not_take_is_refused_rather_than_ignored()
    {
        var run = await OfflineCli.Run("", "serve", "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--json", run.Err);
        Assert.Contains("(see: lethe serve --help)", run.Err);
    }

    [Theory]
    [InlineData("--position", "abc", "--position: 'abc' is not a whole number")]
    [InlineData("--position", "1.5", "--position: '1.5' is not a whole number")]
    public async Task a_value_of_the_wrong_kind_is_named_without_dotnet_type_names(string flag, string value, string expected)
    {
        var run = await OfflineCli.Run("", "rule", "add", "home", "work", "action=accept", "--reason", "r", flag, value);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Err);
        Assert.DoesNotContain("System.", run.Err);
    }

    [Theory]
    [InlineData("confirm home --version x", "--version: 'x' is not a whole number", "confirm")]
    [InlineData("confirm home --version", "--version", "confirm")]
    [InlineData("confirm --version 2", "missing <policy>: lethe confirm takes <policy>", "confirm")]
    [InlineData("show home --version", "'--version'", "show")]
    public async Task a_commands_own_version_option_or_a_misplaced_one_is_a_parse_error_not_the_help_page(string line, string expected, string command)
    {
        var run = await OfflineCli.Run("", line.Split(' '));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.StartsWith("error: ", run.Err);
        Assert.Contains(expected, run.Err);
        Assert.Contains($"(see: lethe {command} --help)", run.Err);
        Assert.DoesNotContain("System.", run.Err);
    }

    [Theory]
    [InlineData("--version")]
    [InlineData("confirm --help")]
    [InlineData("confirm home --version 2 --help")]
    public async Task the_programs_version_and_a_commands_help_are_still_printed(string line)
    {
        var run = await OfflineCli.Run("", line.Split(' '));

        Assert.Equal(0, run.ExitCode);
        Assert.NotEqual("", run.Out.Trim());
        Assert.Equal("", run.Err);
    }
}
