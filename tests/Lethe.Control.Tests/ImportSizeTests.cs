using System.Text;
using Lethe.Control.Cli;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// `lethe rule import` takes any rules file up to its 16 MiB: the request it makes of one is never
/// refused for its size, whatever the file's comments are written in or its rule lines hold.
/// </summary>
public class ImportSizeTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private static async Task<string> Write(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), "lethe-import-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(file, text);
        return file;
    }

    [Fact]
    public async Task a_rules_file_under_16_mib_imports_whatever_its_comment_lines_are_written_in()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-11mib");
        var note = "# " + string.Concat(Enumerable.Repeat("доступ к серверу отдела ", 25));
        var text = new StringBuilder();
        for (var i = 0; i < 10_000; i++)
        {
            text.Append(note).Append('\n');
            text.Append($"action=accept dst4=10.{i >> 8}.{i & 255}.0/24 proto=tcp dstports=443-443\n");
        }
        var file = await Write(text.ToString());
        try
        {
            Assert.InRange(new FileInfo(file).Length, 11_000_000, 16 * 1024 * 1024);

            var run = await Host.Cli("rule", "import", "import-11mib", "work", file, "-m", "move in from Qubes");

            Assert.True(run.ExitCode == 0, run.Err);
            Assert.Equal(10_000, (await editor.RuleIds("import-11mib", "work")).Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_16_mib_rule_line_of_control_characters_reaches_the_control_plane_and_is_refused_naming_its_line_not_as_too_large_a_body()
    {
        // The most a file of 16 MiB makes in JSON: a control character is six bytes there (\u0001), 96 MiB in all.
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("import-96mib");
        var before = await LogState.Of(Host, "import-96mib");
        var file = await Write("# from Qubes\n\naction=accept comment=" + new string('\u0001', 16 * 1024 * 1024 - 64) + "\n");
        try
        {
            Assert.InRange(new FileInfo(file).Length, 16 * 1024 * 1024 - 64, 16 * 1024 * 1024);

            var run = await Host.Cli("rule", "import", "import-96mib", "work", file, "-m", "move in from Qubes");

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("error: ", run.Err);
            Assert.Contains("line 3: comment must be at most 1,000 characters; this one has 16,777,", run.Err);
            Assert.DoesNotContain("413", run.Err);
            Assert.Equal(before, await LogState.Of(Host, "import-96mib"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_request_refused_as_too_large_is_named_with_what_a_control_plane_takes()
    {
        // What a proxy in front of the control plane, or an older control plane, answers.
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/problem+json\r\nContent-Length: 44\r\nConnection: close\r\n\r\n",
            "{\"title\":\"Content Too Large\",\"status\":413}  "u8.ToArray()));
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create();

        var code = await LetheCli.Run(["rule", "import", "home", "work", "-", "-m", "from Qubes", "--server", server.Root, "--token", ControlPlaneHost.EditorToken],
            output, error, new StringReader("action=drop\n"), () => http);

        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.StartsWith($"error: the request is larger than the server at {server.Root} takes: a Lethe control plane takes up to 100 MiB for a rule import", line);
        Assert.EndsWith("(HTTP 413)", line);
    }
}
