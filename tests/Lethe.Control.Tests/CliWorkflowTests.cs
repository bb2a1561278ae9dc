using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class CliWorkflowTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private Task<CliRun> Ok(params string[] args) => Host.Ok(args);

    private Task<string> NewPolicy(string policy) => Host.NewPolicyWithWork(policy);

    [Fact]
    public async Task rule_add_prints_the_new_rules_id()
    {
        var policy = await NewPolicy("cli-add");

        var run = await Ok("rule", "add", policy, "work", "proto=tcp action=accept dstports=443", "--reason", "https");

        Assert.Matches(new Regex("^r-[0-9a-f]{10}$"), run.Line);
        using var editor = Host.Client();
        Assert.Equal(new[] { run.Line }, await editor.RuleIds(policy, "work"));
        Assert.Equal(new[] { "action=accept proto=tcp dstports=443-443" }, await editor.RuleTexts(policy, "work"));
    }

    [Fact]
    public async Task rollback_to_a_latest_version_awaiting_confirmation_still_says_it_must_be_confirmed()
    {
        using var editor = Host.Client();
        await CommitConfirmedTests.PublishPending(editor, "cli-undo-pending", seconds: 3600);
        await editor.AddRule("cli-undo-pending", "work", "action=drop");

        var rollback = await Ok("rollback", "cli-undo-pending", "--to", "2", "--reason", "undo");

        // Version 2 is still on trial: unless confirmed within the hour it is reverted to version 1.
        Assert.Equal(2, (await editor.Policy("cli-undo-pending"))["pendingVersion"]!.GetValue<int>());
        Assert.Contains("nothing was published", rollback.Out);
        Assert.Contains("version 2 still awaits confirmation", rollback.Out);
        Assert.Contains("lethe confirm cli-undo-pending", rollback.Out);
    }

    /// <summary>As `history` prints its times, which `show --at` reads back: one way everywhere a reader compares them.</summary>
    private static readonly Regex HistoryTime = new(@"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z");

    [Fact]
    public async Task every_time_the_readable_output_prints_is_utc_to_the_microsecond_as_history_prints_it()
    {
        var policy = await NewPolicy("cli-times");
        await Ok("publish", policy, "--reason", "baseline");
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "lock down");

        var publish = await Ok("publish", policy, "--confirm-within", "1h", "--reason", "risky");
        var show = await Ok("show", policy);
        await Ok("rule", "add", policy, "work", "action=accept", "--reason", "second thoughts");
        var restore = await Ok("rollback", policy, "--to", "2", "--reason", "undo");
        var snapshots = await Ok("snapshot", "list", policy);
        var history = await Ok("history", policy);

        var deadline = Regex.Match(publish.Out, "confirm by (.*) with").Groups[1].Value;
        Assert.Matches(new Regex($"^{HistoryTime}$"), deadline);
        Assert.Contains($"awaiting confirmation by {deadline})", show.Out);
        Assert.Contains($"confirm by {deadline} with", restore.Out);
        using var editor = Host.Client();
        var sealedAt = (await editor.Snapshots(policy)).Select(s => DateTimeOffset.Parse(s!["sealedAt"].Str(), System.Globalization.CultureInfo.InvariantCulture));
        var rows = snapshots.Lines().Skip(1).ToArray();
        Assert.Equal(sealedAt.Select(t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            rows.Select(r => HistoryTime.Match(r).Value));
        Assert.All(history.Lines().Skip(1), l => Assert.Matches(new Regex($"^{HistoryTime} "), l));
    }

    /// <summary>
    /// A rule whose expire has passed stays listed, matching nothing: `show` says so under it, with the
    /// expiry printed as every other time, so an operator reading the policy can tell the dead rules.
    /// </summary>
    [Fact]
    public async Task show_marks_a_rule_whose_expiry_has_passed_and_says_when_a_live_one_expires()
    {
        var policy = await NewPolicy("cli-expired");
        var dead = (await Ok("rule", "add", policy, "work", "action=accept expire=1 dst4=192.0.2.1", "--reason", "long gone")).Line;
        var live = (await Ok("rule", "add", policy, "work", "action=accept expire=+3600 proto=tcp dstports=22", "--reason", "an hour of ssh")).Line;
        var lasting = (await Ok("rule", "add", policy, "work", "action=drop", "--reason", "the rest")).Line;

        var show = await Ok("show", policy);

        var lines = show.Lines().ToArray();
        var deadAt = Array.FindIndex(lines, l => l.Contains(dead));
        var liveAt = Array.FindIndex(lines, l => l.Contains(live));
        var lastingAt = Array.FindIndex(lines, l => l.Contains(lasting));
        Assert.Equal("expired 1970-01-01 00:00:01.000000Z: matches nothing until `lethe rule remove`", lines[deadAt + 1].Trim());
        Assert.Matches(new Regex($"^expires {HistoryTime}$"), lines[liveAt + 1].Trim());
        Assert.Equal(liveAt + 2, lastingAt);
        Assert.Equal(lastingAt + 1, lines.Length);
        // --json stays the server's data: no note of the CLI's in it.
        var json = await Ok("show", policy, "--json");
        Assert.DoesNotContain("matches nothing", json.Out);
        Assert.DoesNotContain("expires ", json.Out);
    }

    [Fact]
    public async Task publish_diff_history_and_rollback_work_end_to_end()
    {
        var policy = await NewPolicy("cli-flow");
        var https = (await Ok("rule", "add", policy, "work", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443", "--reason", "intranet")).Line;
        var dns = (await Ok("rule", "add", policy, "work", "action=accept specialtarget=dns", "--reason", "dns")).Line;
        await Ok("test", "add", policy, "--client", "work", "--to", "192.0.2.10", "--proto", "tcp", "--port", "443", "--expect", "accept", "--reason", "intranet stays open");

        var v1 = await Ok("publish", policy, "--reason", "first cut");
        Assert.Contains("version 1", v1.Out);
        var v1Sha = Regex.Match(v1.Out, "contentSha256 ([0-9a-f]{64})").Groups[1].Value;
        Assert.NotEmpty(v1Sha);

        var ssh = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=22", "--position", "0", "--reason", "ssh")).Line;
        await Ok("rule", "remove", policy, dns, "--reason", "dns via proxy");
        var noPing = (await Ok("test", "add", policy, "--client", "work", "--to", "192.0.2.10", "--proto", "icmp", "--icmp-type", "8", "--expect", "drop",
            "--reason", "no ping")).Line;
        var v2 = await Ok("publish", policy, "--reason", "second cut");
        Assert.Contains("version 2", v2.Out);

        var diff = await Ok("diff", policy, "1", "2");
        Assert.Contains("client work", diff.Out);
        Assert.Contains($"+ {ssh} at 0: action=accept proto=tcp dstports=22-22", diff.Out);
        Assert.Contains($"- {dns} was at 1: action=accept specialtarget=dns", diff.Out);
        Assert.Contains($"+ test {noPing}: work -> 192.0.2.10 icmp type 8 expect drop", diff.Out);
        Assert.DoesNotContain(https, diff.Out);

        var rollback = await Ok("rollback", policy, "--to", "1", "--reason", "second cut broke mail");
        Assert.Contains("version 3", rollback.Out);
        Assert.Contains($"contentSha256 {v1Sha}", rollback.Out);
        // The rollback took the test added since version 1 away with it.
        Assert.Contains($"- test {noPing}: work -> 192.0.2.10 icmp type 8 expect drop", (await Ok("diff", policy, "2", "3")).Out);

        var history = await Ok("history", policy);
        var lines = history.Lines();
        Assert.StartsWith("AT", lines[0]);
        Assert.Contains("ACTOR", lines[0]);
        Assert.Contains("REASON", lines[0]);
        Assert.Contains("SUMMARY", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.Contains("alice", l));
        Assert.Contains(lines, l => l.Contains("v1") && l.Contains("first cut"));
        Assert.Contains(lines, l => l.Contains($"added test {noPing}: work -> 192.0.2.10 icmp type 8 expect drop"));
        Assert.Contains(lines, l => l.Contains("v3") && l.Contains("second cut broke mail") && l.Contains("rolled back to version 1"));

        var noDiff = await Ok("diff", policy, "1", "3");
        Assert.Equal("no differences", noDiff.Line);
    }

    [Fact]
    public async Task rollback_to_the_latest_version_says_it_restored_the_draft_and_published_nothing()
    {
        var policy = await NewPolicy("cli-undo");
        var rule = (await Ok("rule", "add", policy, "work", "action=drop", "--reason", "block")).Line;
        await Ok("publish", policy, "--reason", "first cut");
        await Ok("rule", "remove", policy, rule, "--reason", "oops");

        var rollback = await Ok("rollback", policy, "--to", "1", "--reason", "undo");

        Assert.Equal($"restored the draft of {policy} to version 1, discarding its unpublished changes; nothing was published (version 1 stays the latest)", rollback.Line);
        Assert.Equal("no differences", (await Ok("diff", policy, "1", "draft")).Line);
    }

    [Fact]
    public async Task json_output_uses_the_documented_camel_case_field_names()
    {
        var policy = await NewPolicy("cli-json");

        var added = JsonNode.Parse((await Ok("rule", "add", policy, "work", "action=drop", "--reason", "block", "--json")).Out)!;
        var published = JsonNode.Parse((await Ok("publish", policy, "--reason", "ship", "--json")).Out)!;
        await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--position", "0", "--reason", "https");
        await Ok("publish", policy, "--reason", "ship again");
        var rolledBack = JsonNode.Parse((await Ok("rollback", policy, "--to", "1", "--reason", "undo", "--json")).Out)!;
        var history = JsonNode.Parse((await Ok("history", policy, "--json")).Out)!.AsArray();

        Assert.Matches("^r-", added["id"].Str());
        Assert.Equal(1, published["version"]!.GetValue<int>());
        Assert.Matches("^[0-9a-f]{64}$", published["contentSha256"].Str());
        Assert.Equal(3, rolledBack["version"]!.GetValue<int>());
        Assert.Equal(published["contentSha256"].Str(), rolledBack["contentSha256"].Str());
        Assert.All(history, e =>
        {
            var fields = e!.AsObject().Select(f => f.Key).ToArray();
            Assert.Contains("at", fields);
            Assert.Contains("actor", fields);
            Assert.Contains("reason", fields);
            Assert.Contains("correlationId", fields);
            Assert.Contains("version", fields);
            Assert.Contains("summary", fields);
        });
        Assert.Equal(new[] { 1, 2, 3 }, history.Where(e => e!["version"] is not null).Select(e => e!["version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task show_at_a_time_shows_the_policy_as_it_stood_then()
    {
        var policy = await NewPolicy("cli-show");
        var early = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--reason", "https")).Line;
        await Task.Delay(50);
        var late = (await Ok("rule", "add", policy, "work", "action=drop", "--reason", "block")).Line;
        var history = JsonNode.Parse((await Ok("history", policy, "--json")).Out)!.AsArray();
        var earlyAt = DateTimeOffset.Parse(history[^2]!["at"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        var lateAt = DateTimeOffset.Parse(history[^1]!["at"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        var between = (earlyAt + (lateAt - earlyAt) / 2).ToString("o", System.Globalization.CultureInfo.InvariantCulture);

        var then = await Ok("show", policy, "--at", between);
        var now = await Ok("show", policy);

        Assert.Contains(early, then.Out);
        Assert.DoesNotContain(late, then.Out);
        Assert.Contains(early, now.Out);
        Assert.Contains(late, now.Out);
    }

    [Fact]
    public async Task commit_confirmed_publish_then_confirm()
    {
        var policy = await NewPolicy("cli-confirm");
        await Ok("publish", policy, "--reason", "baseline");
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "lock down");

        var pending = await Ok("publish", policy, "--confirm-within", "5m", "--reason", "risky");
        var confirmed = await Ok("confirm", policy, "--reason", "still reachable");

        Assert.Contains("version 2", pending.Out);
        Assert.Contains($"lethe confirm {policy}", pending.Out);
        Assert.Contains("confirmed", confirmed.Out);
        using var editor = Host.Client();
        var state = await editor.Policy(policy);
        Assert.Null(state["pendingVersion"]);
        Assert.Equal(2, state["confirmedVersion"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_refused_command_exits_non_zero_with_an_error_on_stderr()
    {
        var policy = await NewPolicy("cli-refused");

        var unknownClient = await Host.Cli("rule", "add", policy, "ghost", "action=drop", "--reason", "block");
        var badRule = await Host.Cli("rule", "add", policy, "work", "action=accept dst4=1.2.3", "--reason", "block");
        var noReason = await Host.Cli("rule", "add", policy, "work", "action=drop");
        var viewer = await Host.CliWith(ControlPlaneHost.ViewerToken, "", "publish", policy, "--reason", "ship");
        var anonymous = await Host.CliWith(null, "", "publish", policy, "--reason", "ship");
        var nothingPending = await Host.Cli("confirm", policy);

        Assert.All(new[] { unknownClient, badRule, noReason, viewer, anonymous, nothingPending }, run =>
        {
            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("error:", run.Err);
            Assert.Equal("", run.Out);
        });
        Assert.Contains("ghost", unknownClient.Err);
        Assert.Contains("rule.dst4", badRule.Err);
        Assert.Contains("reason", noReason.Err);
        // The server's detail names the role the token lacks, where the CLI said only that it may not.
        Assert.StartsWith("error: forbidden: The token of bob has the role viewer; this request needs editor or admin. Nothing was changed. (HTTP 403)", viewer.Err);
        Assert.Contains("not authenticated", anonymous.Err);
        using var editor = Host.Client();
        Assert.Empty(await editor.RuleIds(policy, "work"));
        Assert.Empty(await editor.Snapshots(policy));
    }

    [Fact]
    public async Task a_time_copied_from_history_into_show_at_includes_the_change_listed_at_it()
    {
        var policy = await NewPolicy("cli-at");
        var rule = (await Ok("rule", "add", policy, "work", "action=drop", "--reason", "closed")).Line;
        await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "--reason", "web");

        var added = Assert.Single((await Ok("history", policy)).Lines(), l => l.Contains($"added rule {rule}"));
        var at = added[..added.IndexOf('Z', StringComparison.Ordinal)] + "Z";
        var then = JsonNode.Parse((await Ok("show", policy, "--at", at, "--json")).Out)!;

        var rules = then["clients"]!.AsArray().Single(c => c!["name"].Str() == "work")!["rules"]!.AsArray();
        Assert.Equal(new[] { rule }, rules.Select(r => r!["id"].Str()));
    }

    [Fact]
    public async Task a_stale_if_match_from_the_cli_is_refused_naming_the_version_the_policy_is_at_and_changes_nothing()
    {
        var policy = await NewPolicy("cli-if-match");
        var version = JsonNode.Parse((await Ok("show", policy, "--json")).Out)!["version"]!.GetValue<long>();
        await Ok("rule", "add", policy, "work", "action=drop", "--reason", "block", "--if-match", version.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var stale = await Host.Cli("rule", "add", policy, "work", "action=accept", "--reason", "open", "--if-match", version.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, stale.ExitCode);
        // What --if-match said, the version the policy is at, and what to do: not a race the user cannot tell from it.
        Assert.Equal($"error: Policy {policy} is at version {version + 1}, not {version} as this request's If-Match said: it was changed after version {version} was read. " +
            $"Nothing was applied; read it again and, if the change still holds, send it with version {version + 1}. (HTTP 409)", stale.Err.Trim());
        using var editor = Host.Client();
        Assert.Equal(new[] { "action=drop" }, await editor.RuleTexts(policy, "work"));
    }

    [Fact]
    public async Task an_unreachable_server_is_a_clear_error()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = new HttpClient();

        var code = await Lethe.Control.Cli.LetheCli.Run(["policy", "list", "--server", "http://127.0.0.1:1", "--token", "x"], output, error, new StringReader(""), () => http);

        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot reach the control plane", error.ToString());
    }

    [Fact]
    public async Task a_server_that_never_answers_is_a_clear_error_that_warns_a_change_may_have_landed()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };

        var code = await Lethe.Control.Cli.LetheCli.Run(["policy", "create", "silent", "--reason", "r", "--server", $"http://127.0.0.1:{port}", "--token", "x"],
            output, error, new StringReader(""), () => http);

        Assert.Equal(1, code);
        Assert.Equal($"error: the control plane at http://127.0.0.1:{port} did not answer within 1 s; the change may still have been made: see `lethe history`",
            error.ToString().Trim());
    }

    [Theory]
    [InlineData("text/html", "<html><body>Sign in to continue</body></html>", "a body that is not JSON (text/html)", "policy", "list")]
    [InlineData("application/json", "", "an empty body", "history", "home")]
    [InlineData("application/json", "\"ok\"", "JSON that is not a list", "history", "home")]
    [InlineData("application/json", "[]", "JSON that is not an object", "show", "home")]
    [InlineData("application/json", "{\"policy\": \"home\"}", "a JSON object without \"version\"", "publish", "home", "--reason", "r")]
    [InlineData("application/json", "{\"content\": 1}", "a body that is not a signed snapshot file", "snapshot", "get", "home", "1", "--out", "-")]
    public async Task another_program_at_the_server_address_is_named_as_such(string type, string body, string what, params string[] command)
    {
        var (code, output, error, port) = await RunAgainst("200 OK", type, body, command);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: the server at http://127.0.0.1:{port} did not answer as a Lethe control plane: HTTP 200", error);
        Assert.Contains(what, error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("\"bad gateway\"", "error: the control plane answered 502 (HTTP 502)")]
    [InlineData("[\"bad gateway\"]", "error: the control plane answered 502 (HTTP 502)")]
    [InlineData("{\"detail\": 7, \"title\": \"upstream down\"}", "error: upstream down (HTTP 502)")]
    [InlineData("{\"title\": \"refused\", \"errors\": {\"name\": \"not a list\", \"rule\": [\"too long\", 3]}}", "error: refused (HTTP 502)\n  rule: too long\n  rule: 3")]
    public async Task an_error_answer_in_json_that_is_not_problem_details_is_named_without_a_stack_trace(string body, string expected)
    {
        var (code, output, error, _) = await RunAgainst("502 Bad Gateway", "application/json", body, ["policy", "list"]);

        Assert.Equal(1, code);
        Assert.Equal(expected, error.Trim().ReplaceLineEndings("\n"));
        Assert.Equal("", output);
    }

    /// <summary>One command against a server on loopback that gives every request the same answer.</summary>
    private static async Task<(int Code, string Out, string Err, int Port)> RunAgainst(string status, string type, string body, string[] command)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            // The request's head (these commands send GETs, with no body).
            var request = new List<byte>();
            var buffer = new byte[4096];
            while (!System.Text.Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }
                request.AddRange(buffer.AsSpan(0, n));
            }
            var bytes = System.Text.Encoding.UTF8.GetBytes(body);
            var head = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(bytes);
        });
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var code = await Lethe.Control.Cli.LetheCli.Run([.. command, "--server", $"http://127.0.0.1:{port}", "--token", "x"],
            output, error, new StringReader(""), () => http);
        await serving;
        return (code, output.ToString(), error.ToString(), port);
    }

    [Theory]
    [InlineData("t0ken\r")]
    [InlineData("t0ken\n")]
    [InlineData("t\u00f6ken")]
    public async Task a_token_with_a_line_break_or_a_non_ascii_character_is_named_as_the_problem(string token)
    {
        var run = await Host.CliWith(token, "", "policy", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: the token (--token or LETHE_TOKEN) holds a line break", run.Err);
    }

    [Theory]
    [InlineData("policy", "list")]
    [InlineData("show", "home")]
    [InlineData("history", "home")]
    [InlineData("snapshot", "list", "home")]
    [InlineData("publish", "home", "--reason", "r")]
    [InlineData("policy", "create", "home", "--reason", "r")]
    [InlineData("snapshot", "get", "home", "1", "--out", "-")]
    public async Task another_program_answering_a_json_object_is_named_as_such_not_a_stack_trace_or_a_blank_success(params string[] command)
    {
        var (code, output, error, port) = await RunAgainst("200 OK", "application/json", "{\"status\": \"ok\"}", command);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: the server at http://127.0.0.1:{port} did not answer as a Lethe control plane: HTTP 200", error);
        Assert.DoesNotContain("Unhandled exception", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task diff_does_not_report_a_rule_that_kept_its_place_as_moved()
    {
        var policy = await NewPolicy("cli-diff-moves");
        var ssh = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=22", "-m", "ssh")).Line;
        var web = (await Ok("rule", "add", policy, "work", "action=accept proto=tcp dstports=443", "-m", "web")).Line;
        var rest = (await Ok("rule", "add", policy, "work", "action=drop", "-m", "the rest")).Line;
        await Ok("publish", policy, "-m", "v1");
        await Ok("rule", "move", policy, ssh, "--position", "2", "-m", "ssh last");
        await Ok("rule", "move", policy, rest, "--position", "0", "-m", "drop first");

        var diff = await Ok("diff", policy, "1", "draft");

        Assert.DoesNotContain($"{web} moved", diff.Out);
        Assert.Contains($"~ {ssh} moved 0 -> 2", diff.Out);
        Assert.Contains($"~ {rest} moved 2 -> 0", diff.Out);
    }
}
