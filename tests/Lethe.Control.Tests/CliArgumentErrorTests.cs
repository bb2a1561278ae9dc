namespace Lethe.Control.Tests;

/// <summary>
/// A command line whose arguments are wrong says which: the ones missing by name, with what the command takes, and an
/// option typed wrong that took an argument's place (so that a later word is "unrecognized") as the unknown option it is.
/// </summary>
public class CliArgumentErrorTests
{
    [Theory]
    [InlineData("rule|add|work|action=accept|-m|x", "missing <rule>: lethe rule add takes <policy> <client> <rule>")]
    [InlineData("rule|move|-m|x|--position|1", "missing <policy> <rule-id>: lethe rule move takes <policy> <rule-id>")]
    [InlineData("snapshot|list", "missing <policy>: lethe snapshot list takes <policy>")]
    public async Task missing_arguments_are_named_once_with_what_the_command_takes(string line, string expected)
    {
        var run = await OfflineCli.Run("", line.Split('|'));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"error: {expected}\n", run.Err);
        Assert.DoesNotContain("Required argument missing", run.Err);
    }

    [Theory]
    [InlineData("rule|replace|--jsn|cf|r-1|action=drop|-m|x", "--jsn", "<policy>", "rule replace")]
    [InlineData("confirm|\u2014reason|cf", "\u2014reason", "<policy>", "confirm")] // an em dash, as a word processor writes --
    [InlineData("diff|cf|1|--no-such-option|draft", "--no-such-option", "<to>", "diff")]
    public async Task an_unknown_option_read_as_an_argument_is_named_as_an_unknown_option(string line, string option, string argument, string command)
    {
        var run = await OfflineCli.Run("", line.Split('|'));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"error: '{option}' is not an option of lethe {command} (it was read as {argument})\n", run.Err);
    }

    [Fact]
    public async Task a_negative_number_given_as_an_argument_is_not_taken_for_an_option()
    {
        var run = await OfflineCli.Run("", "diff", "cf", "-1", "draft", "extra");

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("is not an option", run.Err);
    }
}
