using System.Globalization;
using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class PolicyAtTimeTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private static string At(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("o", CultureInfo.InvariantCulture));

    private static DateTimeOffset Time(System.Text.Json.Nodes.JsonNode? entry) =>
        DateTimeOffset.Parse(entry!["at"].Str(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task the_policy_at_a_time_shows_it_as_it_stood_then()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("then");
        var early = await editor.AddRule("then", "work", "action=accept proto=tcp dstports=443");
        await Task.Delay(50);
        var late = await editor.AddRule("then", "work", "action=drop");
        var history = await editor.History("then");
        var earlyAt = Time(history[^2]);
        var lateAt = Time(history[^1]);
        Assert.True(lateAt > earlyAt);
        var between = earlyAt + (lateAt - earlyAt) / 2;

        var response = await editor.GetAsync($"/policies/then?at={At(between)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rules = (await response.Json())["clients"]![0]!["rules"]!.AsArray().Select(r => r!["id"].Str()).ToArray();
        Assert.Equal(new[] { early }, rules);
        Assert.Equal(new[] { early, late }, await editor.RuleIds("then", "work"));
    }

    [Fact]
    public async Task the_policy_before_it_existed_is_not_found()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("young");
        var created = Time((await editor.History("young"))[0]);

        var response = await editor.GetAsync($"/policies/young?at={At(created.AddHours(-1))}");

        await response.Problem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task the_policy_at_a_time_shows_the_published_version_of_then()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("published-then");
        await editor.Publish("published-then");
        await Task.Delay(50);
        await editor.AddRule("published-then", "work", "action=drop");
        await editor.Publish("published-then");
        var history = await editor.History("published-then");
        var firstPublish = Time(history.Single(e => e!["version"]?.GetValue<int>() == 1));
        var ruleAdded = Time(history[^2]);

        var response = await editor.GetAsync($"/policies/published-then?at={At(firstPublish + (ruleAdded - firstPublish) / 2)}");

        var then = await response.Json();
        Assert.Equal(1, then["latestVersion"]!.GetValue<int>());
        Assert.Empty(then["clients"]![0]!["rules"]!.AsArray());
    }

    [Fact]
    public async Task the_policy_at_the_time_a_version_was_sealed_shows_that_version()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("audit-sealed");
        var rule = await alice.AddRule("audit-sealed", "work", "action=drop");
        await alice.Publish("audit-sealed");
        await alice.Post($"/policies/audit-sealed/rules/{rule}/replace", new { rule = "action=accept", reason = "open" }).Ok();
        await alice.Publish("audit-sealed");
        await alice.Post("/policies/audit-sealed/rollback", new { toVersion = 1, reason = "close again" }).Ok();

        foreach (var snapshot in await alice.Snapshots("audit-sealed"))
        {
            var sealedAt = DateTimeOffset.Parse(snapshot!["sealedAt"].Str(), CultureInfo.InvariantCulture);

            var then = await alice.GetAsync($"/policies/audit-sealed?at={At(sealedAt)}").Ok();

            Assert.Equal(snapshot["version"]!.GetValue<int>(), then["latestVersion"]!.GetValue<int>());
        }
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("2026-13-45")]
    public async Task a_time_that_does_not_parse_is_named_under_at(string at)
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("bad-at-" + at.Length);

        var response = await editor.GetAsync($"/policies/bad-at-{at.Length}?at={Uri.EscapeDataString(at)}");

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["at"], problem.ErrorKeys());
        Assert.Contains($"not '{at}'", problem.ErrorText("at"));
    }
}
