using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class HistoryTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    [Fact]
    public async Task every_change_is_recorded_with_time_actor_reason_correlation_id_and_summary()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        await alice.CreatePolicyWithWork("audited");
        var started = DateTimeOffset.UtcNow.AddMinutes(-1);

        // The actor comes from the token alone: a body naming another is refused, not half-honoured.
        var posing = await alice.Post("/policies/audited/clients/work/rules",
            new { rule = "action=accept dst4=192.0.2.10 proto=tcp dstports=443", reason = "ticket 42: intranet", actor = "mallory" });
        var response = await alice.Post("/policies/audited/clients/work/rules",
            new { rule = "action=accept dst4=192.0.2.10 proto=tcp dstports=443", reason = "ticket 42: intranet" },
            correlationId: "req-4711");
        var id = (await response.Json())["id"].Str();

        Assert.Equal(["actor"], (await posing.Problem(HttpStatusCode.BadRequest)).ErrorKeys());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("req-4711", response.Headers.GetValues("X-Correlation-Id").Single());
        var entry = (await alice.History("audited")).Last()!;
        Assert.Equal("alice", entry["actor"].Str());
        Assert.Equal("ticket 42: intranet", entry["reason"].Str());
        Assert.Equal("req-4711", entry["correlationId"].Str());
        Assert.Contains(id, entry["summary"].Str());
        Assert.Contains("action=accept dst4=192.0.2.10/32 proto=tcp dstports=443-443", entry["summary"].Str());
        Assert.Null(entry["version"]);
        var at = DateTimeOffset.Parse(entry["at"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(at, started, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task the_cli_history_shows_each_correlation_id_whole()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        await alice.CreatePolicyWithWork("whole-id");
        await alice.Post("/policies/whole-id/clients/work/rules", new { rule = "action=drop", reason = "ticket" },
            correlationId: "ticket-4711-firewall-change").Ok();

        var run = await Host.Cli("history", "whole-id");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(" ticket-4711-firewall-change ", run.Out);
    }

    [Fact]
    public async Task the_actor_is_whoever_the_token_names()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        using var admin = Host.Client(ControlPlaneHost.AdminToken);
        await alice.CreatePolicyWithWork("actors");

        await carol.AddRule("actors", "work", "action=drop proto=udp");
        await admin.AddRule("actors", "work", "action=drop proto=icmp");

        var actors = (await alice.History("actors")).Select(e => e!["actor"].Str()).ToArray();
        Assert.Equal(new[] { "alice", "alice", "carol", "root-admin" }, actors);
    }

    [Fact]
    public async Task a_request_without_a_correlation_id_gets_one_that_is_echoed_and_recorded()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("generated-id");

        var response = await alice.Post("/policies/generated-id/clients/work/rules", new { rule = "action=drop", reason = "block all" });

        var echoed = response.Headers.GetValues("X-Correlation-Id").Single();
        Assert.NotEmpty(echoed);
        Assert.Equal(echoed, (await alice.History("generated-id")).Last()!["correlationId"].Str());
    }

    [Fact]
    public async Task refusals_echo_the_correlation_id_too()
    {
        using var alice = Host.Client();
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        using var stranger = Host.Client(token: null);
        await alice.CreatePolicyWithWork("refused-id");

        using var invalid = await alice.Post("/policies/refused-id/clients/work/rules", new { rule = "action=maybe", reason = "typo" }, correlationId: "req-400");
        using var missing = await alice.Post("/policies/no-such-policy/clients/work/rules", new { rule = "action=drop", reason = "gone" }, correlationId: "req-404");
        using var forbidden = await viewer.Post("/policies/refused-id/clients/work/rules", new { rule = "action=drop", reason = "viewer" }, correlationId: "req-403");
        using var anonymous = await stranger.Post("/policies/refused-id/clients/work/rules", new { rule = "action=drop", reason = "nobody" }, correlationId: "req-401");

        foreach (var (response, status, id) in new[] { (invalid, 400, "req-400"), (missing, 404, "req-404"), (forbidden, 403, "req-403"), (anonymous, 401, "req-401") })
        {
            Assert.Equal(status, (int)response.StatusCode);
            Assert.True(response.Headers.TryGetValues("X-Correlation-Id", out var echoed), $"no X-Correlation-Id on the {status}");
            Assert.Equal(id, echoed.Single());
        }
    }

    [Theory]
    [InlineData("accent", "caf\u00e9")]
    [InlineData("blanks", "ab\tc d")]
    [InlineData("separator", "line\u2028two")]
    public async Task a_correlation_id_that_is_not_visible_ascii_is_replaced_by_a_fresh_one_and_the_change_still_lands(string tag, string requested)
    {
        var policy = "odd-id-" + tag;
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork(policy);
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8 };
        using var raw = new HttpClient(handler) { BaseAddress = alice.BaseAddress };
        raw.DefaultRequestHeaders.Authorization = alice.DefaultRequestHeaders.Authorization;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/policies/{policy}/clients/work/rules")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { rule = "action=drop", reason = "odd header" }),
        };
        request.Headers.TryAddWithoutValidation("X-Correlation-Id", requested);

        using var response = await raw.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = response.Headers.GetValues("X-Correlation-Id").Single();
        Assert.Matches("^[0-9a-f]{32}$", echoed);
        Assert.Equal(echoed, (await alice.History(policy)).Last()!["correlationId"].Str());
    }

    [Fact]
    public async Task publish_rollback_and_confirm_entries_carry_the_snapshot_version()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("versions");
        await alice.Publish("versions");
        await alice.AddRule("versions", "work", "action=drop");
        await alice.Post("/policies/versions/publish", new { reason = "second cut" }, correlationId: "pub-2").Ok();
        await alice.Post("/policies/versions/rollback", new { toVersion = 1, reason = "undo second cut" }).Ok();

        var history = await alice.History("versions");

        var versioned = history.Where(e => e!["version"] is not null).ToArray();
        Assert.Equal(new[] { 1, 2, 3 }, versioned.Select(e => e!["version"]!.GetValue<int>()));
        Assert.Equal("second cut", versioned[1]!["reason"].Str());
        Assert.Equal("pub-2", versioned[1]!["correlationId"].Str());
        Assert.Contains("published version 2", versioned[1]!["summary"].Str());
        Assert.Equal("undo second cut", versioned[2]!["reason"].Str());
        Assert.Contains("rolled back to version 1", versioned[2]!["summary"].Str());
        Assert.All(history, e =>
        {
            Assert.NotEmpty(e!["at"].Str());
            Assert.Equal("alice", e["actor"].Str());
            Assert.NotEmpty(e["reason"].Str());
            Assert.NotEmpty(e["correlationId"].Str());
            Assert.NotEmpty(e["summary"].Str());
        });
    }

    [Fact]
    public async Task an_import_is_one_entry_in_the_history()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("one-import");
        var before = (await alice.History("one-import")).Count;

        await alice.Post("/policies/one-import/clients/work/rules/import",
            new { lines = new[] { "action=accept proto=tcp dstports=443", "action=accept proto=udp dstports=53", "action=drop" }, reason = "from Qubes" }).Ok();

        var history = await alice.History("one-import");
        Assert.Equal(before + 1, history.Count);
        Assert.Contains("imported 3 rule", history.Last()!["summary"].Str());
    }

    [Fact]
    public async Task the_history_of_an_import_with_replace_names_the_rules_it_removed_and_added()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("audit-import");
        var web = await alice.AddRule("audit-import", "work", "action=accept proto=tcp dstports=443");

        var imported = (await alice.Post("/policies/audit-import/clients/work/rules/import",
            new { lines = new[] { "action=drop proto=udp" }, replace = true, reason = "reimport" }).Ok())["ids"]![0].Str();

        var summary = (await alice.History("audit-import")).Last()!["summary"].Str();
        Assert.Contains(web, summary);
        Assert.Contains(imported, summary);
    }

    [Fact]
    public async Task the_history_of_a_client_removal_names_the_rules_that_went_with_it()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("audit-client");
        await alice.AddClient("audit-client", "personal", "10.137.0.11");
        var rule = await alice.AddRule("audit-client", "personal", "action=accept proto=tcp dstports=443");

        await alice.Post("/policies/audit-client/clients/personal/remove", new { reason = "retired" }).Ok();

        var summary = (await alice.History("audit-client")).Last()!["summary"].Str();
        Assert.Contains(rule, summary);
        Assert.Contains("10.137.0.11", summary);
    }

    [Fact]
    public async Task the_history_of_a_test_removal_says_what_the_test_checked()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("audit-test");
        var test = await alice.AddTest("audit-test", "work", "192.0.2.1", "tcp", 22, "drop");

        await alice.Post($"/policies/audit-test/tests/{test}/remove", new { reason = "obsolete" }).Ok();

        var summary = (await alice.History("audit-test")).Last()!["summary"].Str();
        Assert.Contains(test, summary);
        Assert.Contains("work -> 192.0.2.1 tcp port 22 expect drop", summary);
    }

    [Fact]
    public async Task history_of_an_unknown_policy_gets_404()
    {
        using var alice = Host.Client();

        var response = await alice.GetAsync("/policies/never-made/history");

        await response.Problem(HttpStatusCode.NotFound);
    }
}
