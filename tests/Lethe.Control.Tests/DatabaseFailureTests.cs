using System.Net;

namespace Lethe.Control.Tests;

/// <summary>
/// What the API and `lethe` say when PostgreSQL fails under the control plane: a 503 naming the
/// database, and for a change, that it may have been made (its COMMIT may have gone through), never
/// a bare 500 that invites a retry making it twice.
/// </summary>
public class DatabaseFailureTests
{
    [Fact]
    public async Task a_rule_add_cut_off_after_its_commit_is_not_reported_as_a_plain_failure()
    {
        await using var plane = await RelayedControlPlane.Start();
        using var editor = plane.Client();
        await editor.CreatePolicyWithWork("lostack");
        plane.Relay.CutAfterNextCommit();

        var cli = await plane.Cli("rule", "add", "lostack", "work", "action=accept proto=tcp dstports=443", "-m", "https");

        Assert.True(plane.Relay.CutDone, "the relay saw no COMMIT to cut after");
        Assert.Equal(new[] { "action=accept proto=tcp dstports=443-443" }, await editor.RuleTexts("lostack", "work"));
        Assert.Equal(1, cli.ExitCode);
        var line = Assert.Single(cli.Err.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains("database", line, StringComparison.Ordinal);
        Assert.Contains("may or may not have been made", line, StringComparison.Ordinal);
        Assert.Contains("`lethe history`", line, StringComparison.Ordinal);
        Assert.EndsWith("(HTTP 503)", line.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task while_the_database_is_down_the_api_answers_503_naming_it_and_recovers_when_it_is_back()
    {
        await using var plane = await RelayedControlPlane.Start();
        using var editor = plane.Client();
        await editor.CreatePolicyWithWork("outage");
        plane.Relay.Down();

        using var during = await editor.GetAsync("/policies/outage");
        var text = await during.Content.ReadAsStringAsync();
        using var change = await editor.Post("/policies/outage/clients/work/rules", new { rule = "action=drop", reason = "r" });
        var changeText = await change.Content.ReadAsStringAsync();
        using var health = await editor.GetAsync("/health");
        var cli = await plane.Cli("policy", "list");

        Assert.True(during.StatusCode == HttpStatusCode.ServiceUnavailable, $"got {(int)during.StatusCode}: {text}");
        Assert.Equal("application/problem+json", during.Content.Headers.ContentType?.MediaType);
        Assert.Contains("database", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("may or may not", text, StringComparison.Ordinal);
        Assert.True(change.StatusCode == HttpStatusCode.ServiceUnavailable, $"got {(int)change.StatusCode}: {changeText}");
        Assert.Contains("`lethe history`", changeText, StringComparison.Ordinal);
        foreach (var secret in new[] { "Password", "Username=", "Host=", "127.0.0.1" })
        {
            Assert.DoesNotContain(secret, text + changeText, StringComparison.OrdinalIgnoreCase);
        }
        // /health answers for the process, not the database every instance shares (README, HTTP API).
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(1, cli.ExitCode);
        Assert.StartsWith("error: ", cli.Err);
        Assert.Contains("database", cli.Err, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("(HTTP 503)", cli.Err, StringComparison.Ordinal);

        plane.Relay.Up();
        Assert.Equal("outage", (await editor.Policy("outage"))["name"].Str());
    }
}
