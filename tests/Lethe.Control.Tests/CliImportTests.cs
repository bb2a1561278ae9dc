using System.Text.Json.Nodes;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class CliImportTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private const string QubesRules = """
        # qvm-firewall work --raw list
        action=accept proto=tcp dstports=443-443 dst4=192.0.2.0/24
        action=accept specialtarget=dns

        action=accept proto=icmp
        action=drop
        """;

    [Fact]
    public async Task import_from_stdin_lists_the_new_ids_in_file_order()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-json");

        var run = await Host.CliWith(ControlPlaneHost.EditorToken, QubesRules, "rule", "import", "import-json", "work", "-", "--reason", "move in from Qubes", "--json");

        Assert.True(run.ExitCode == 0, run.Err);
        var ids = JsonNode.Parse(run.Out)!["ids"]!.AsArray().Select(i => i.Str()).ToArray();
        Assert.Equal(4, ids.Length);
        Assert.Equal(ids, await editor.RuleIds("import-json", "work"));
        Assert.Equal(new[]
        {
            "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443",
            "action=accept specialtarget=dns",
            "action=accept proto=icmp",
            "action=drop",
        }, await editor.RuleTexts("import-json", "work"));
    }

    [Fact]
    public async Task stdin_saved_with_a_byte_order_mark_and_crlf_imports_as_the_same_file_would()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-bom");

        var run = await Host.CliWith(ControlPlaneHost.EditorToken, "\uFEFFaction=accept proto=tcp dstports=80\r\naction=drop\r\n",
            "rule", "import", "import-bom", "work", "-", "-m", "from a Windows editor");

        Assert.True(run.ExitCode == 0, run.Err);
        Assert.Equal(new[] { "action=accept proto=tcp dstports=80-80", "action=drop" }, await editor.RuleTexts("import-bom", "work"));
    }

    [Fact]
    public async Task import_prints_one_id_per_line_without_json()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-text");

        var run = await Host.CliWith(ControlPlaneHost.EditorToken, QubesRules, "rule", "import", "import-text", "work", "-", "-m", "move in");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(await editor.RuleIds("import-text", "work"), run.Lines());
    }

    [Fact]
    public async Task import_from_a_file_with_replace_replaces_the_clients_rules_in_one_change()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-replace");
        var old = await editor.AddRule("import-replace", "work", "action=accept");
        var file = Path.Combine(Path.GetTempPath(), $"lethe-import-{Guid.NewGuid():N}.rules");
        await File.WriteAllTextAsync(file, "action=accept proto=tcp dstports=22\naction=drop\n");
        var entries = (await editor.History("import-replace")).Count;
        try
        {
            var run = await Host.Cli("rule", "import", "import-replace", "work", file, "--replace", "--reason", "start over");

            Assert.Equal(0, run.ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Equal(new[] { "action=accept proto=tcp dstports=22-22", "action=drop" }, await editor.RuleTexts("import-replace", "work"));
        Assert.DoesNotContain(old, await editor.RuleIds("import-replace", "work"));
        Assert.Equal(entries + 1, (await editor.History("import-replace")).Count);
    }

    [Fact]
    public async Task one_bad_line_fails_the_whole_import_names_the_line_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-bad");
        await editor.AddRule("import-bad", "work", "action=accept proto=udp dstports=53");
        var before = await LogState.Of(Host, "import-bad");
        var input = "action=accept proto=tcp dstports=443\naction=accept proto=tcp\naction=accept proto=tcp dstports=99999\naction=drop\n";

        var run = await Host.CliWith(ControlPlaneHost.EditorToken, input, "rule", "import", "import-bad", "work", "-", "--reason", "move in");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error:", run.Err);
        Assert.Contains("line 3", run.Err);
        Assert.Contains("dstports", run.Err);
        Assert.DoesNotContain("line 2", run.Err);
        Assert.Equal("", run.Out);
        Assert.Equal(before, await LogState.Of(Host, "import-bad"));
    }

    [Fact]
    public async Task terminal_escapes_in_a_bad_line_are_shown_in_the_error_not_sent_to_the_terminal()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-escapes");
        var input = "action=accept\naction=drop \u001b]0;owned\u0007\u001b[2J\n";

        var run = await Host.CliWith(ControlPlaneHost.EditorToken, input, "rule", "import", "import-escapes", "work", "-", "--reason", "move in");

        Assert.Equal(1, run.ExitCode);
        Assert.False(run.Err.Replace("\n", "", StringComparison.Ordinal).Any(char.IsControl), run.Err);
        Assert.Contains("line 2", run.Err);
        // Named by its code point, as the parser names every character a reader cannot see, rather than quoted.
        Assert.Contains("line 2: the rule holds U+001B at character 13, a control character", run.Err);
    }

    [Fact]
    public async Task a_missing_file_is_a_clear_error()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-missing");

        var run = await Host.Cli("rule", "import", "import-missing", "work", "/nonexistent/lethe.rules", "--reason", "move in");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error:", run.Err);
        Assert.Contains("/nonexistent/lethe.rules", run.Err);
    }

    [Fact]
    public async Task an_empty_file_name_is_a_clear_error_not_a_stack_trace_and_imports_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-empty-name");
        var before = await LogState.Of(Host, "import-empty-name");

        var run = await Host.Cli("rule", "import", "import-empty-name", "work", "", "--reason", "from Qubes");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: FILE is empty: give the file of rules, or - for stdin", run.Err.Trim());
        Assert.Equal(before, await LogState.Of(Host, "import-empty-name"));
    }

    [Fact]
    public async Task a_folder_given_as_the_file_is_named_as_a_folder_not_as_access_denied()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-folder");
        var folder = Directory.CreateTempSubdirectory("lethe-import-folder-").FullName;
        try
        {
            var run = await Host.Cli("rule", "import", "import-folder", "work", folder, "--reason", "from Qubes");

            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"{folder} is a folder; give a file", run.Err);
            Assert.DoesNotContain("denied", run.Err);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public async Task a_file_saved_with_a_byte_order_mark_imports_its_first_rule()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-bom-file");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "action=accept proto=tcp dstports=443\naction=drop\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

            var run = await Host.Cli("rule", "import", "import-bom-file", "work", file, "--reason", "from Qubes");

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(2, run.Out.Trim().Split('\n').Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task stdin_larger_than_any_policy_is_refused_as_a_file_would_be_before_anything_is_sent()
    {
        // 20 MiB of comment lines: a FILE that size is refused, and stdin was read without end.
        var comments = string.Concat(Enumerable.Repeat("#" + new string('-', 62) + "\n", 20 * 1024 * 1024 / 64));

        var run = await OfflineCli.Run(comments, "rule", "import", "home", "work", "-", "--reason", "from Qubes");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: stdin is larger than 16 MiB, more than any policy holds", run.Err.Trim());
        Assert.Equal("", run.Out);
    }
}
