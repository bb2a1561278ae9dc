using System.Text.RegularExpressions;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>The CLI commands that edit a draft in place, list what a policy holds, or set up the database.</summary>
public class CliEditingCommandTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private Task<CliRun> Ok(params string[] args) => Host.Ok(args);

    private Task<string> NewPolicy(string policy) => Host.NewPolicyWithWork(policy);

    [Fact]
    public async Task rule_move_and_replace_keep_ids_and_put_rules_where_asked()
    {
        var policy = await NewPolicy("cli-edit");
        var web = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--reason", "web")).Line;
        var dns = (await Ok("rule", "add", policy, "work", "action=accept specialtarget=dns", "--reason", "dns")).Line;
        var rest = (await Ok("rule", "add", policy, "work", "action=drop", "--reason", "the rest")).Line;

        var moved = await Ok("rule", "move", policy, dns, "--position", "0", "--reason", "dns first");
        var replaced = await Ok("rule", "replace", policy, web, "action=accept proto=tcp dstports=80-443", "--reason", "plain http too");

        Assert.StartsWith($"moved rule {dns} to 0 ", moved.Line);
        Assert.Equal($"{web}: action=accept proto=tcp dstports=80-443", replaced.Line);
        using var editor = Host.Client();
        Assert.Equal(new[] { dns, web, rest }, await editor.RuleIds(policy, "work"));
        Assert.Equal(new[] { "action=accept specialtarget=dns", "action=accept proto=tcp dstports=80-443", "action=drop" },
            await editor.RuleTexts(policy, "work"));
    }

    [Fact]
    public async Task a_bad_replacement_is_refused_and_the_rule_keeps_its_text()
    {
        var policy = await NewPolicy("cli-bad-replace");
        var web = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--reason", "web")).Line;

        var run = await Host.Cli("rule", "replace", policy, web, "action=accept proto=tcp dstports=0-99999", "--reason", "typo");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("dstports", run.Err);
        using var editor = Host.Client();
        Assert.Equal(new[] { "action=accept proto=tcp dstports=443-443" }, await editor.RuleTexts(policy, "work"));
    }

    [Theory]
    [InlineData("up", "../../{other}/rules/{id}")]
    [InlineData("fragment", "{id}#tail")]
    [InlineData("dots", "..")]
    public async Task an_id_that_looks_like_a_path_stays_one_id_of_the_named_policy_and_changes_nothing_elsewhere(string tag, string shape)
    {
        var home = await NewPolicy("cli-path-home-" + tag);
        var other = await NewPolicy("cli-path-other-" + tag);
        var id = (await Ok("rule", "add", other, "work", "action=drop", "--reason", "other's rule")).Line;
        using var editor = Host.Client();
        var before = (await editor.History(other)).Count;

        var run = await Host.Cli("rule", "remove", home, shape.Replace("{other}", other).Replace("{id}", id), "--reason", "meant for home");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: ", run.Err);
        Assert.Equal(new[] { id }, await editor.RuleIds(other, "work"));
        Assert.Equal(before, (await editor.History(other)).Count);
    }

    [Fact]
    public async Task an_icmp_tests_type_is_shown_where_a_port_would_be()
    {
        var policy = await NewPolicy("cli-icmp-tests");
        var test = (await Ok("test", "add", policy, "--client", "work", "--to", "192.0.2.10", "--proto", "icmp", "--icmp-type", "13",
            "--expect", "drop", "--reason", "no timestamps")).Line;

        var listed = await Ok("test", "list", policy);
        var show = await Ok("show", policy);

        Assert.Equal(new[] { test, "work", "192.0.2.10", "icmp", "13", "drop" }, Regex.Split(Assert.Single(listed.Lines().Skip(1)).Trim(), @"\s+"));
        Assert.Contains($"test {test}  work -> 192.0.2.10 icmp type 13 expect drop", show.Out);
    }

    [Fact]
    public async Task a_client_named_by_a_test_is_kept_until_the_test_is_removed()
    {
        var policy = await NewPolicy("cli-tests");
        await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--reason", "web");
        var test = (await Ok("test", "add", policy, "--client", "work", "--to", "192.0.2.10", "--port", "443", "--expect", "accept",
            "--reason", "web stays open")).Line;

        var listed = await Ok("test", "list", policy);
        var refused = await Host.Cli("client", "remove", policy, "work", "--reason", "qube gone");
        var removedTest = await Ok("test", "remove", policy, test, "--reason", "qube going");
        var removedClient = await Ok("client", "remove", policy, "work", "--reason", "qube gone");

        var row = Assert.Single(listed.Lines().Skip(1));
        Assert.Equal(new[] { test, "work", "192.0.2.10", "tcp", "443", "accept" }, Regex.Split(row.Trim(), @"\s+"));
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("error:", refused.Err);
        Assert.Contains(test, refused.Err);
        Assert.Equal($"removed test {test} (policy version {int.Parse(Regex.Match(removedClient.Line, @"policy version (\d+)").Groups[1].Value) - 1})", removedTest.Line);
        Assert.StartsWith("removed client work", removedClient.Line);
        Assert.Equal($"policy {policy} has no tests: lethe test add POLICY ... adds one", (await Ok("test", "list", policy)).Line);
        var show = await Ok("show", policy);
        Assert.DoesNotContain("client work", show.Out);
    }

    [Fact]
    public async Task show_says_nothing_was_published_rather_than_naming_a_version_zero_that_does_not_exist()
    {
        var policy = await NewPolicy("cli-show-unpublished");
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "closed");

        var before = await Ok("show", policy);
        await Ok("publish", policy, "--reason", "first cut");
        var after = await Ok("show", policy);

        Assert.EndsWith("nothing published yet", before.Lines()[0]);
        Assert.DoesNotContain("v0", before.Lines()[0]);
        Assert.EndsWith("published v1", after.Lines()[0]);
    }

    [Fact]
    public async Task policy_list_and_snapshot_list_show_what_was_published()
    {
        var policy = await NewPolicy("cli-lists");
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "closed");
        var published = await Ok("publish", policy, "--reason", "first cut");
        var sha = Regex.Match(published.Out, "contentSha256 ([0-9a-f]{64})").Groups[1].Value;

        var policies = await Ok("policy", "list");
        var snapshots = await Ok("snapshot", "list", policy);

        var row = Regex.Split(Assert.Single(policies.Lines(), l => l.StartsWith(policy + " ", StringComparison.Ordinal)).Trim(), @"\s+");
        Assert.Equal(policy, row[0]);
        Assert.Equal(new[] { "1", "1", "1" }, row[2..5]); // clients, rules, published version
        var version = Regex.Split(Assert.Single(snapshots.Lines().Skip(1)).Trim(), @"\s+");
        Assert.Equal("1", version[0]);
        Assert.Equal(sha, version[^1]);
    }

    [Fact]
    public async Task migrate_brings_an_empty_database_up_to_date_once()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        var migrations = RepositoryPaths.Migrations;

        var first = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", migrations);
        var second = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", migrations);
        var asJson = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", migrations, "--json");

        Assert.Equal((0, ""), (first.ExitCode, first.Err));
        Assert.StartsWith("applied 0001_initial", first.Out.Trim());
        Assert.Equal((0, "schema is up to date"), (second.ExitCode, second.Out.Trim()));
        Assert.Empty(System.Text.Json.Nodes.JsonNode.Parse(asJson.Out)!["applied"]!.AsArray());
        Assert.Equal(0, await database.Count(TestDatabase.PolicyEventCount));
    }

    [Fact]
    public async Task migrate_without_a_database_names_what_is_missing()
    {
        var run = await OfflineCli.Run("", "migrate", "--connection", " ");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: no database: give --connection or set ConnectionStrings__Lethe", run.Err.Trim());
    }

    [Theory]
    [InlineData(new[] { "rule", "move", "p", "r-1", "-m", "x" }, "error: Option '--position' is required.", "lethe rule move --help")]
    [InlineData(new[] { "rule", "add", "p", "work", "action=drop" }, "error: Option '--reason' is required.", "lethe rule add --help")]
    [InlineData(new[] { "client", "add", "p", "mail", "-m", "x" }, "error: Option '--address' is required.", "lethe client add --help")]
    [InlineData(new[] { "rule", "remove", "home", "r-1", "-m", "x", "--if-match", "abc" }, "error: --if-match: 'abc' is not a policy version", "lethe rule remove --help")]
    public async Task a_command_line_that_does_not_parse_is_one_error_line_on_stderr(string[] args, string error, string help)
    {
        var run = await Host.Cli(args);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.StartsWith(error, run.Err);
        Assert.Contains(help, run.Err);
    }

    [Theory]
    [InlineData("127.0.0.1:5080")]
    [InlineData("ftp://127.0.0.1/")]
    public async Task a_server_that_is_not_an_http_url_is_named(string server)
    {
        var run = await OfflineCli.Run("", "policy", "list", "--server", server);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"error: --server: '{server}' is not an http:// or https:// URL (e.g. http://127.0.0.1:5080)", run.Err.Trim());
    }

    [Fact]
    public async Task a_file_that_cannot_be_written_or_read_is_an_error_line_not_a_stack_trace()
    {
        var policy = await NewPolicy("cli-files");
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "closed");
        await Ok("publish", policy, "--reason", "first");

        var toMissingFolder = await Host.Cli("snapshot", "get", policy, "1", "--out", "/nonexistent/folder/x.json");
        var importFolder = await Host.Cli("rule", "import", policy, "work", Path.GetTempPath(), "--reason", "x");

        Assert.All(new[] { toMissingFolder, importFolder }, run =>
        {
            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("error: ", run.Err);
            Assert.DoesNotContain("   at ", run.Err);
        });
    }

    [Fact]
    public async Task rule_parse_skips_comment_lines_as_import_does()
    {
        var run = await OfflineCli.Run("# from qvm-firewall\naction=accept proto=tcp dstports=443\n  # indented\naction=drop\n", "rule", "parse", "-");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(new[] { "action=accept proto=tcp dstports=443-443", "action=drop" }, run.Lines());
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("86401")]
    [InlineData("25h")]
    [InlineData("1000000000h")]
    [InlineData("2147483647m")]
    public async Task a_confirm_window_out_of_range_is_named_as_such_without_a_stack_trace(string window)
    {
        var run = await Host.Cli("publish", "nowhere", "--confirm-within", window, "--reason", "x");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"error: --confirm-within: '{window}': the confirm window must be between 1 second and 1 day\n(see: lethe publish --help)",
            run.Err.Trim().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("2d", "the unit must be s, m or h")]
    [InlineData("soon", "is not a duration")]
    public async Task a_confirm_window_that_is_not_a_duration_names_the_option_as_every_bad_value_does(string window, string why)
    {
        // As `--to abc` or `--position abc`: the option typed, and where to read what it takes.
        var run = await OfflineCli.Run("", "publish", "home", "--confirm-within", window, "--reason", "x");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: --confirm-within: '{window}'", run.Err);
        Assert.Contains(why, run.Err);
        Assert.Contains("(see: lethe publish --help)", run.Err);
    }
}
