using System.Text.Json.Nodes;

namespace Lethe.Control.Tests;

public class CliRuleParseTests
{
    [Fact]
    public async Task json_output_writes_text_as_it_is_and_escapes_only_what_json_or_a_terminal_needs()
    {
        var run = await OfflineCli.Run("", "rule", "parse", "--json", "action=drop comment=it's <x> & +1", "action=caf\u00e9",
            "action=accept comment=a\u202eb");

        var json = run.Out;
        Assert.Contains("\"rule\": \"action=drop comment=it's <x> & +1\"", json);
        Assert.Contains("\"input\": \"action=caf\u00e9\"", json);
        Assert.Contains("not ASCII", json);
        Assert.Contains("U+00E9", json);
        // A bidirectional override stays escaped: shown raw, it would reorder what the terminal shows.
        Assert.DoesNotContain("\u202e", json);
        Assert.Contains("a\\u202Eb", json);
        var parsed = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsArray();
        Assert.Equal("action=drop comment=it's <x> & +1", (string?)parsed[0]!["rule"]);
        Assert.Equal("action=accept comment=a\u202eb", (string?)parsed[2]!["input"]);
    }

    [Fact]
    public async Task json_output_shows_an_emoji_as_itself()
    {
        var run = await OfflineCli.Run("", "rule", "parse", "--json", "action=accept comment=\ud83d\udc4d");

        Assert.Contains("\ud83d\udc4d", run.Out);
        Assert.DoesNotContain("\\uD83D", run.Out);
    }

    [Fact]
    public async Task valid_rules_print_their_canonical_form_one_line_each_and_exit_0()
    {
        var run = await OfflineCli.Run("", "rule", "parse", "proto=tcp dstports=443 action=accept dst4=192.0.2.0/24", "action=drop", "proto=udp action=reject comment=hi there");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new[]
        {
            "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443",
            "action=drop",
            "action=reject proto=udp comment=hi there",
        }, run.Lines());
    }

    [Fact]
    public async Task a_bad_rule_prints_an_error_line_naming_the_key_in_its_place_and_exits_non_zero()
    {
        var run = await OfflineCli.Run("", "rule", "parse", "action=accept", "action=accept proto=tcp dstports=99999", "action=accept dst4=1.2.3", "action=drop");

        Assert.Equal(1, run.ExitCode);
        var lines = run.Lines();
        Assert.Equal(4, lines.Length);
        Assert.Equal("action=accept", lines[0]);
        Assert.StartsWith("error: ", lines[1]);
        Assert.Contains("dstports", lines[1]);
        Assert.StartsWith("error: ", lines[2]);
        Assert.Contains("dst4", lines[2]);
        Assert.Equal("action=drop", lines[3]);
    }

    [Theory]
    [InlineData("Action=accept", "Action")]
    [InlineData("action=accept  proto=tcp", "")]
    [InlineData("action=accept proto=icmp icmptype=300", "icmptype")]
    [InlineData("action=accept dsthost=a..example", "dsthost")]
    [InlineData("action=accept specialtarget=dns proto=icmp", "specialtarget")]
    [InlineData("action=accept expire=soon", "expire")]
    [InlineData("action=accept dpi=YES", "dpi")]
    public async Task every_kind_of_bad_rule_gives_exactly_one_error_line(string rule, string key)
    {
        var run = await OfflineCli.Run("", "rule", "parse", rule);

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Lines());
        Assert.StartsWith("error: ", line);
        Assert.Contains(key, line);
    }

    [Fact]
    public async Task dash_reads_one_rule_per_line_from_stdin()
    {
        var run = await OfflineCli.Run("dstports=22 proto=tcp action=accept\n\naction=drop\n", "rule", "parse", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new[] { "action=accept proto=tcp dstports=22-22", "action=drop" }, run.Lines());
    }

    [Fact]
    public async Task dash_with_only_comments_and_blank_lines_is_refused_as_import_refuses_it()
    {
        var run = await OfflineCli.Run("# from qvm-firewall\n\n   \n# nothing else\n", "rule", "parse", "-");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no rules", run.Err);
        Assert.Empty(run.Lines());
    }

    [Theory]
    [InlineData("\u3000")] // an ideographic space: blank to the eye, not to import
    [InlineData("\u00a0# copied from a web page")]
    public async Task dash_refuses_a_line_of_unicode_spaces_as_import_does_rather_than_skip_it_as_blank(string line)
    {
        var run = await OfflineCli.Run($"action=accept\n{line}\naction=drop\n", "rule", "parse", "-");

        Assert.Equal(1, run.ExitCode);
        var lines = run.Lines();
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("error: ", lines[1]);
        Assert.Contains($"U+{(int)line[0]:X4} at character 1", lines[1]);
    }

    [Fact]
    public async Task dash_skips_a_byte_order_mark_at_the_start_of_stdin()
    {
        var run = await OfflineCli.Run("\uFEFFaction=accept proto=tcp dstports=80\r\n# done\r\n", "rule", "parse", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new[] { "action=accept proto=tcp dstports=80-80" }, run.Lines());
    }

    [Fact]
    public async Task dash_with_a_bad_line_keeps_one_output_line_per_input_line_and_exits_non_zero()
    {
        var run = await OfflineCli.Run("action=accept\r\naction=accept dst4=1.2.3\naction=drop", "rule", "parse", "-");

        Assert.Equal(1, run.ExitCode);
        var lines = run.Lines();
        Assert.Equal(3, lines.Length);
        Assert.Equal("action=accept", lines[0]);
        Assert.StartsWith("error: ", lines[1]);
        Assert.Contains("dst4", lines[1]);
        Assert.Equal("action=drop", lines[2]);
    }

    [Fact]
    public async Task terminal_escapes_in_a_bad_line_are_shown_not_sent_to_the_terminal()
    {
        // A rules file from someone else: its bytes must not set the reader's window title or clear the screen.
        var run = await OfflineCli.Run("action=accept \u001b]0;owned\u0007\naction=acc\u001b[2J\rept\naction=accept dsthost=a\u009bb\n", "rule", "parse", "-");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(new[]
        {
            "error: the rule holds U+001B at character 15, a control character (an ESC, a NUL, a line break or a carriage return, say): rules are printable ASCII, as in Qubes",
            "error: action holds U+001B at character 11, a control character (an ESC, a NUL, a line break or a carriage return, say): rules are printable ASCII, as in Qubes",
            "error: dsthost holds U+009B at character 24, which is not ASCII (a no-break space or a look-alike letter, say): rules are plain ASCII, as in Qubes",
        }, run.Lines());
    }

    [Fact]
    public async Task json_output_gives_the_rule_or_the_key_and_message_per_input()
    {
        var run = await OfflineCli.Run("", "rule", "parse", "--json", "action=accept proto=udp dstports=53", "action=accept dst4=1.2.3");

        Assert.Equal(1, run.ExitCode);
        var results = JsonNode.Parse(run.Out)!.AsArray();
        Assert.Equal(2, results.Count);
        Assert.Equal("action=accept proto=udp dstports=53-53", results[0]!["rule"].Str());
        Assert.Null(results[0]!["error"]);
        Assert.Null(results[1]!["rule"]);
        Assert.Equal("dst4", results[1]!["error"]!["key"].Str());
        Assert.NotEmpty(results[1]!["error"]!["message"].Str());
    }

    [Fact]
    public async Task stdin_that_cannot_be_read_is_an_error_line_not_a_stack_trace()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await Lethe.Control.Cli.LetheCli.Run(["rule", "parse", "-"], output, error, new FailingReader(),
            () => throw new InvalidOperationException("this command must not need the control plane"));

        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error.ToString());
        Assert.Contains("Is a directory", error.ToString());
        Assert.DoesNotContain("   at ", error.ToString());
    }

    [Fact]
    public async Task output_that_cannot_be_written_is_an_error_line_not_a_stack_trace()
    {
        var error = new StringWriter();

        var code = await Lethe.Control.Cli.LetheCli.Run(["rule", "parse", "action=accept"], new FullWriter(), error, new StringReader(""),
            () => throw new InvalidOperationException("this command must not need the control plane"));

        Assert.Equal(1, code);
        Assert.Equal("error: No space left on device", error.ToString().Trim());
    }

    [Fact]
    public async Task stdin_larger_than_any_policy_is_refused_not_read_whole()
    {
        var comments = string.Concat(Enumerable.Repeat("#" + new string('-', 62) + "\n", 20 * 1024 * 1024 / 64));

        var run = await OfflineCli.Run(comments, "rule", "parse", "-");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: stdin is larger than 16 MiB, more than any policy holds", run.Err.Trim());
        Assert.Equal("", run.Out);
    }

    /// <summary>Stdin redirected from a folder (`&lt; /tmp`).</summary>
    private sealed class FailingReader : TextReader
    {
        public override int Read() => throw new IOException("Is a directory");

        public override int Read(char[] buffer, int index, int count) => throw new IOException("Is a directory");

        public override string ReadToEnd() => throw new IOException("Is a directory");
    }

    /// <summary>Stdout redirected to a full disk (`&gt; /dev/full`).</summary>
    private sealed class FullWriter : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => throw new IOException("No space left on device");
    }
}
