using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class DomainRefusalTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private async Task<HttpClient> Editor(string policy)
    {
        var editor = Host.Client();
        await editor.CreatePolicyWithWork(policy);
        return editor;
    }

    [Fact]
    public async Task a_client_address_already_taken_gets_409_naming_the_owner()
    {
        using var editor = await Editor("dup-address");

        var response = await editor.Post("/policies/dup-address/clients", new { name = "home", addresses = new[] { "10.137.0.10" }, reason = "laptop" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("10.137.0.10", problem["detail"].Str());
        Assert.Contains("work", problem["detail"].Str());
    }

    [Fact]
    public async Task the_same_address_written_differently_is_still_a_duplicate()
    {
        using var editor = await Editor("dup-v6");
        await editor.AddClient("dup-v6", "lab", "2001:db8::10");

        var response = await editor.Post("/policies/dup-v6/clients", new { name = "home", addresses = new[] { "2001:0db8:0:0::10" }, reason = "laptop" });

        await response.Problem(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task a_client_name_already_taken_gets_409()
    {
        using var editor = await Editor("dup-name");

        var response = await editor.Post("/policies/dup-name/clients", new { name = "work", addresses = new[] { "10.137.0.99" }, reason = "again" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("work", problem["detail"].Str());
    }

    [Fact]
    public async Task a_policy_name_already_taken_gets_409()
    {
        using var editor = await Editor("dup-policy");

        var response = await editor.Post("/policies", new { name = "dup-policy", reason = "again" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("dup-policy", problem["detail"].Str());
    }

    [Fact]
    public async Task an_unknown_rule_id_gets_422_naming_the_id()
    {
        using var editor = await Editor("unknown-rule");

        var response = await editor.Post("/policies/unknown-rule/rules/r-0123456789/remove", new { reason = "cleanup" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("r-0123456789", problem["detail"].Str());
    }

    [Fact]
    public async Task a_position_out_of_range_gets_422_saying_what_is_allowed()
    {
        using var editor = await Editor("position");
        await editor.AddRule("position", "work", "action=accept proto=tcp dstports=443");

        var response = await editor.Post("/policies/position/clients/work/rules", new { rule = "action=drop", position = 5, reason = "first" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("Position 5", problem["detail"].Str());
        Assert.Contains("0 to 1", problem["detail"].Str());
    }

    [Fact]
    public async Task moving_a_rule_past_the_end_gets_422()
    {
        using var editor = await Editor("move-range");
        var id = await editor.AddRule("move-range", "work", "action=accept proto=tcp dstports=443");

        var response = await editor.Post($"/policies/move-range/rules/{id}/move", new { position = 3, reason = "reorder" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("out of range", problem["detail"].Str());
    }

    [Fact]
    public async Task a_rule_for_an_unknown_client_gets_422_listing_the_clients()
    {
        using var editor = await Editor("unknown-client");

        var response = await editor.Post("/policies/unknown-client/clients/ghost/rules", new { rule = "action=drop", reason = "block" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("ghost", problem["detail"].Str());
        Assert.Contains("work", problem["detail"].Str());
    }

    [Fact]
    public async Task an_unknown_policy_gets_404()
    {
        using var editor = Host.Client();

        var read = await editor.GetAsync("/policies/nowhere");
        var write = await editor.Post("/policies/nowhere/clients/work/rules", new { rule = "action=drop", reason = "block" });

        Assert.Contains("nowhere", (await read.Problem(HttpStatusCode.NotFound))["detail"].Str());
        Assert.Contains("nowhere", (await write.Problem(HttpStatusCode.NotFound))["detail"].Str());
    }

    [Fact]
    public async Task an_unknown_snapshot_version_gets_404()
    {
        using var editor = await Editor("no-snapshot");

        var response = await editor.GetAsync("/policies/no-snapshot/snapshots/7");

        await response.Problem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task publishing_a_draft_identical_to_the_latest_version_gets_409()
    {
        using var editor = await Editor("identical");
        await editor.Publish("identical");

        var response = await editor.Post("/policies/identical/publish", new { reason = "again" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("identical to version 1", problem["detail"].Str());
    }

    [Fact]
    public async Task confirming_with_nothing_pending_gets_409()
    {
        using var editor = await Editor("no-pending");
        await editor.Publish("no-pending");

        var response = await editor.Post("/policies/no-pending/confirm", new { reason = "looks good" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("no publish waiting for confirmation", problem["detail"].Str());
    }

    [Fact]
    public async Task rolling_back_to_a_version_that_does_not_exist_gets_404_as_any_unknown_version_does()
    {
        using var editor = await Editor("rollback-range");
        await editor.Publish("rollback-range");

        var response = await editor.Post("/policies/rollback-range/rollback", new { toVersion = 4, reason = "go back" });

        var problem = await response.Problem(HttpStatusCode.NotFound);
        Assert.Contains("4", problem["detail"].Str());
    }

    [Fact]
    public async Task commit_confirmed_before_any_confirmed_version_gets_422()
    {
        using var editor = await Editor("first-confirm");

        var response = await editor.Post("/policies/first-confirm/publish", new { reason = "careful", confirmWithinSeconds = 60 });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("without --confirm-within first", problem["detail"].Str());
    }

    [Fact]
    public async Task a_diff_of_a_policy_that_does_not_exist_says_there_is_no_such_policy()
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.GetAsync("/policies/never-made/diff?from=1&to=2");

        var problem = await response.Problem(System.Net.HttpStatusCode.NotFound);
        Assert.Equal("There is no policy named never-made.", problem["detail"].Str());
    }

    /// <summary>
    /// A read takes the policy name from the path unchecked: one of 5,000 characters was echoed whole in the
    /// 404, and an ESC sent as %1B reached any client that prints the detail. No policy holds such a name.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("/history")]
    [InlineData("/snapshots")]
    [InlineData("/tests")]
    public async Task a_read_of_a_policy_name_no_policy_could_hold_quotes_it_cut_and_escaped(string read)
    {
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);

        foreach (var (name, shown) in new[]
        {
            (new string('9', 5_000), $"'{new string('9', 64)}...' (5,000 characters)"),
            ("%1B%5B2Jx", "'\\x1B[2Jx'"),
        })
        {
            var problem = await (await viewer.GetAsync($"/policies/{name}{read}")).Problem(System.Net.HttpStatusCode.NotFound);
            Assert.Equal($"There is no policy named {shown}.", problem["detail"].Str());
        }
    }

    [Fact]
    public async Task a_rule_or_test_id_no_policy_could_hold_is_quoted_cut_in_the_refusal()
    {
        using var editor = await Editor("long-ids");
        var id = new string('9', 5_000);

        var rule = await (await editor.Post($"/policies/long-ids/rules/{id}/remove", new { reason = "cleanup" })).Problem(System.Net.HttpStatusCode.UnprocessableEntity);
        var test = await (await editor.Post($"/policies/long-ids/tests/{id}/remove", new { reason = "cleanup" })).Problem(System.Net.HttpStatusCode.UnprocessableEntity);

        Assert.Equal($"Policy long-ids has no rule with id '{new string('9', 64)}...' (5,000 characters).", rule["detail"].Str());
        Assert.Equal($"Policy long-ids has no test '{new string('9', 64)}...' (5,000 characters).", test["detail"].Str());
    }
}
