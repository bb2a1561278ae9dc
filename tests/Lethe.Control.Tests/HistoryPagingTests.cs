using System.Net;
using System.Text.Json.Nodes;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// `GET /policies/{p}/history?limit=N&amp;before=SEQUENCE` and `lethe history --limit N --before SEQUENCE`: the
/// newest N entries older than the cursor, oldest first, with a Link to the next older page.
/// </summary>
public class HistoryPagingTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    /// <summary>A policy of exactly 25 changes: the create, a client and 23 rules.</summary>
    private static async Task TwentyFiveChanges(HttpClient editor, string policy)
    {
        await editor.CreatePolicyWithWork(policy);
        for (var port = 1; port <= 23; port++)
        {
            await editor.AddRule(policy, "work", $"action=accept proto=tcp dstports={port}");
        }
    }

    [Fact]
    public async Task paging_through_25_changes_in_pages_of_10_gives_every_entry_once_in_order()
    {
        using var editor = Host.Client();
        await TwentyFiveChanges(editor, "paged");
        var everything = await editor.History("paged");

        var pages = new List<JsonArray>();
        var links = new List<string?>();
        string? next = "/policies/paged/history?limit=10";
        while (next is not null)
        {
            using var answer = await editor.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            pages.Add((await answer.Json()).AsArray());
            next = answer.Headers.TryGetValues("Link", out var link) ? link.Single() : null;
            links.Add(next);
            // As a client follows it: the URI between the angle brackets of rel="next".
            next = next is null ? null : next[(next.IndexOf('<') + 1)..next.IndexOf('>')];
        }

        Assert.Equal([10, 10, 5], pages.Select(p => p.Count));
        Assert.Equal(["</policies/paged/history?limit=10&before=16>; rel=\"next\"", "</policies/paged/history?limit=10&before=6>; rel=\"next\"", null], links);
        // Each page oldest first, the newest page first: together, the whole history once, in order.
        var together = pages.AsEnumerable().Reverse().SelectMany(p => p).Select(e => e!.ToJsonString()).ToArray();
        Assert.Equal(everything.Select(e => e!.ToJsonString()), together);
        Assert.Equal(Enumerable.Range(1, 25), together.Select(e => JsonNode.Parse(e)!["sequence"]!.GetValue<int>()));
    }

    [Fact]
    public async Task the_default_request_is_every_entry_oldest_first_without_a_link()
    {
        using var editor = Host.Client();
        await TwentyFiveChanges(editor, "unpaged");

        using var answer = await editor.GetAsync("/policies/unpaged/history");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.False(answer.Headers.Contains("Link"));
        var entries = (await answer.Json()).AsArray();
        Assert.Equal(Enumerable.Range(1, 25), entries.Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Equal(["at", "actor", "reason", "correlationId", "version", "sequence", "event", "summary"], entries[0]!.AsObject().Select(f => f.Key));
        Assert.Equal("created policy unpaged", entries[0]!["summary"].Str());
    }

    [Fact]
    public async Task before_alone_gives_every_older_entry_and_a_cursor_past_the_end_the_newest()
    {
        using var editor = Host.Client();
        await TwentyFiveChanges(editor, "cursor");

        var older = (await editor.GetAsync("/policies/cursor/history?before=4").Ok()).AsArray();
        var newest = (await editor.GetAsync("/policies/cursor/history?limit=3&before=1000").Ok()).AsArray();
        var none = (await editor.GetAsync("/policies/cursor/history?before=1").Ok()).AsArray();

        Assert.Equal([1, 2, 3], older.Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Equal([23, 24, 25], newest.Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Empty(none);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("limit=1.5", "limit")]
    [InlineData("limit=99999999999", "limit")]
    [InlineData("limit=", "limit")]
    [InlineData("before=0", "before")]
    [InlineData("before=-3", "before")]
    [InlineData("before=r-1a2b3c4d5e", "before")]
    [InlineData("before=99999999999999999999", "before")]
    [InlineData("limit=0&before=0", "before limit")]
    public async Task a_bad_limit_or_cursor_is_a_400_naming_the_query_parameter(string query, string fields)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        using var editor = Host.Client();
        var policy = "bad-paging-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicy(policy);

        using var answer = await viewer.GetAsync($"/policies/{policy}/history?{query}");

        var problem = await answer.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(fields.Split(' '), problem.ErrorKeys());
        Assert.All(problem.ErrorKeys(), key => Assert.StartsWith($"'{key}' must be", problem.ErrorText(key)));
    }

    [Fact]
    public async Task a_page_of_an_unknown_policy_is_404()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        using var answer = await viewer.GetAsync("/policies/never-paged/history?limit=10");

        await answer.Problem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task the_cli_prints_a_page_and_the_command_for_the_next_older_one()
    {
        using var editor = Host.Client();
        await TwentyFiveChanges(editor, "cli-paged");

        var first = await Host.Cli("history", "cli-paged", "--limit", "10");
        var last = await Host.Cli("history", "cli-paged", "--limit", "10", "--before", "6");

        Assert.Equal(0, first.ExitCode);
        var lines = first.Out.TrimEnd('\n').Split('\n');
        Assert.Equal(12, lines.Length); // the heading, 10 entries, the pointer
        Assert.Contains("dstports=14-14", lines[1]);
        Assert.Contains("dstports=23-23", lines[10]);
        Assert.Equal("older changes: lethe history cli-paged --limit 10 --before 16", lines[11]);
        Assert.Equal(0, last.ExitCode);
        Assert.Contains("created policy cli-paged", last.Out);
        Assert.DoesNotContain("older changes", last.Out);
    }

    [Fact]
    public async Task the_cli_json_keeps_its_list_by_default_and_names_the_next_cursor_for_a_page()
    {
        using var editor = Host.Client();
        await TwentyFiveChanges(editor, "cli-json");

        var all = await Host.Cli("history", "cli-json", "--json");
        var page = await Host.Cli("history", "cli-json", "--json", "--limit", "10", "--before", "16");
        var oldest = await Host.Cli("history", "cli-json", "--json", "--limit", "10", "--before", "6");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal((await editor.History("cli-json")).ToJsonString(), JsonNode.Parse(all.Out)!.ToJsonString());
        var paged = JsonNode.Parse(page.Out)!;
        Assert.Equal(Enumerable.Range(6, 10), paged["entries"]!.AsArray().Select(e => e!["sequence"]!.GetValue<int>()));
        Assert.Equal(6, paged["nextBefore"]!.GetValue<long>());
        Assert.Null(JsonNode.Parse(oldest.Out)!["nextBefore"]);
    }

    [Theory]
    [InlineData("--limit", "0", "--limit: 'limit' must be a whole number from 1 to 1000")]
    [InlineData("--limit", "5000", "--limit: 'limit' must be a whole number from 1 to 1000")]
    [InlineData("--before", "0", "--before: 'before' must be an entry's sequence")]
    [InlineData("--limit", "ten", "--limit")]
    [InlineData("--before", "r-1a2b", "--before")]
    public async Task the_cli_refuses_a_bad_limit_or_cursor_with_a_message_and_exit_1(string option, string value, string message)
    {
        using var editor = Host.Client();
        var policy = "cli-bad-" + Guid.NewGuid().ToString("N")[..8];
        await editor.CreatePolicy(policy);

        var run = await Host.Cli("history", policy, option, value);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.Err);
        Assert.Equal("", run.Out);
    }
}
