using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// Policy "p" has clients work and home, a published version 1, a draft change made since,
/// and a passing policy test; policy "failing" has a test its rules break.
/// </summary>
public class RefusalsLeaveTheLogUnchangedTests(HostFixture fixture) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private ControlPlaneHost Host => fixture.Host;

    private string _rule = "";

    public async Task InitializeAsync()
    {
        using var editor = Host.Client();
        if ((await editor.GetAsync("/policies/p")).StatusCode == HttpStatusCode.OK)
        {
            _rule = (await editor.RuleIds("p", "work"))[0];
            return;
        }
        await editor.CreatePolicyWithWork("p");
        await editor.AddClient("p", "home", "10.137.0.11");
        _rule = await editor.AddRule("p", "work", "action=accept dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest("p", "work", "192.0.2.10", "tcp", 443, "accept");
        await editor.Publish("p");
        await editor.AddRule("p", "home", "action=drop");

        await editor.CreatePolicyWithWork("failing");
        await editor.AddRule("failing", "work", "action=drop dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest("failing", "work", "192.0.2.10", "tcp", 443, "accept");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task AssertRefusedWithoutTrace(HttpStatusCode status, string policy, Func<Task<HttpResponseMessage>> refused)
    {
        var before = await LogState.Of(Host, policy);

        var response = await refused();

        Assert.Equal(status, response.StatusCode);
        var after = await LogState.Of(Host, policy);
        Assert.Equal(before.Events, after.Events);
        Assert.Equal(before.Snapshots, after.Snapshots);
        Assert.Equal(before.Draft, after.Draft);
    }

    [Fact]
    public async Task a_bad_rule_refused_with_400_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.BadRequest, "p", () =>
            editor.Post("/policies/p/clients/work/rules", new { rule = "action=accept proto=tcp dstports=99999", reason = "open up" }));
    }

    [Fact]
    public async Task an_empty_reason_refused_with_400_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.BadRequest, "p", () => editor.Post("/policies/p/publish", new { reason = "" }));
    }

    [Fact]
    public async Task an_import_with_one_bad_line_refused_with_400_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.BadRequest, "p", () => editor.Post("/policies/p/clients/work/rules/import",
            new { lines = new[] { "action=accept proto=tcp dstports=22", "action=accept dst4=1.2.3", "action=drop" }, replace = true, reason = "from Qubes" }));
    }

    [Fact]
    public async Task a_publish_with_a_misspelt_confirm_window_is_refused_not_made_permanent()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.BadRequest, "p", () => editor.Post("/policies/p/publish", new { reason = "risky", confirmWithin = 300 }));

        var response = await editor.Post("/policies/p/publish", new { reason = "risky", confirmWithin = 300 });
        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["confirmWithin"], problem.ErrorKeys());
        Assert.Contains("not a field", problem.ErrorText("confirmWithin"));
    }

    [Fact]
    public async Task an_import_with_a_misspelt_replace_flag_is_refused_not_appended()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.BadRequest, "p", () => editor.Post("/policies/p/clients/work/rules/import",
            new { lines = new[] { "action=drop" }, replaceExisting = true, reason = "wipe and replace" }));
    }

    [Fact]
    public async Task a_missing_token_refused_with_401_leaves_the_log_unchanged()
    {
        using var anonymous = Host.Client(token: null);
        await AssertRefusedWithoutTrace(HttpStatusCode.Unauthorized, "p", () =>
            anonymous.Post("/policies/p/clients/work/rules", new { rule = "action=accept", reason = "open up" }));
    }

    [Fact]
    public async Task a_wrong_token_refused_with_401_leaves_the_log_unchanged()
    {
        using var stranger = Host.Client("guessed-token");
        await AssertRefusedWithoutTrace(HttpStatusCode.Unauthorized, "p", () => stranger.Post("/policies/p/publish", new { reason = "ship" }));
    }

    [Fact]
    public async Task a_viewer_refused_with_403_leaves_the_log_unchanged()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        await AssertRefusedWithoutTrace(HttpStatusCode.Forbidden, "p", () => viewer.Post("/policies/p/publish", new { reason = "ship" }));
        await AssertRefusedWithoutTrace(HttpStatusCode.Forbidden, "p", () =>
            viewer.Post($"/policies/p/rules/{_rule}/remove", new { reason = "tidy" }));
    }

    [Fact]
    public async Task an_unknown_policy_refused_with_404_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.NotFound, "p", () =>
            editor.Post("/policies/elsewhere/clients/work/rules", new { rule = "action=accept", reason = "open up" }));
    }

    [Fact]
    public async Task a_duplicate_client_refused_with_409_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "p", () =>
            editor.Post("/policies/p/clients", new { name = "guest", addresses = new[] { "10.137.0.11" }, reason = "guest" }));
        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "p", () =>
            editor.Post("/policies/p/clients", new { name = "home", addresses = new[] { "10.137.0.12" }, reason = "guest" }));
    }

    [Fact]
    public async Task a_confirm_with_nothing_pending_refused_with_409_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "p", () => editor.Post("/policies/p/confirm", new { reason = "ok" }));
    }

    [Fact]
    public async Task a_rollback_to_the_latest_version_of_an_unchanged_draft_refused_with_409_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        // Not p, whose draft changed since its version 1: a rollback to that restores its draft.
        await editor.CreatePolicyWithWork("unchanged");
        await editor.Publish("unchanged");
        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "unchanged", () => editor.Post("/policies/unchanged/rollback", new { toVersion = 1, reason = "back" }));
    }

    [Fact]
    public async Task an_unknown_rule_refused_with_422_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.UnprocessableEntity, "p", () =>
            editor.Post("/policies/p/rules/r-ffffffffff/replace", new { rule = "action=drop", reason = "tighten" }));
    }

    [Fact]
    public async Task a_position_out_of_range_refused_with_422_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.UnprocessableEntity, "p", () =>
            editor.Post("/policies/p/clients/work/rules", new { rule = "action=drop", position = 9, reason = "block" }));
        await AssertRefusedWithoutTrace(HttpStatusCode.UnprocessableEntity, "p", () =>
            editor.Post($"/policies/p/rules/{_rule}/move", new { position = 9, reason = "reorder" }));
    }

    [Fact]
    public async Task a_stale_if_match_refused_with_409_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        var stale = await editor.VersionOf("p") - 1;

        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "p", () =>
            editor.Post("/policies/p/clients/work/rules", new { rule = "action=drop", reason = "block" }, ifMatch: stale));
        await AssertRefusedWithoutTrace(HttpStatusCode.Conflict, "p", () => editor.Post("/policies/p/publish", new { reason = "ship" }, ifMatch: stale));
    }

    [Fact]
    public async Task a_failing_policy_test_at_publish_refused_with_422_leaves_the_log_unchanged()
    {
        using var editor = Host.Client();
        await AssertRefusedWithoutTrace(HttpStatusCode.UnprocessableEntity, "failing", () => editor.Post("/policies/failing/publish", new { reason = "ship" }));
        Assert.Empty(await editor.Snapshots("failing"));
    }
}
