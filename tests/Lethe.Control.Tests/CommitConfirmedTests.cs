using System.Text.Json.Nodes;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class CommitConfirmedTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    /// <summary>Publishes v1 plainly, changes the draft, publishes v2 with a deadline; answers v1 and v2.</summary>
    internal static async Task<(JsonNode V1, JsonNode V2, string Added)> PublishPending(HttpClient editor, string policy, int seconds)
    {
        await editor.CreatePolicyWithWork(policy);
        await editor.AddRule(policy, "work", "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        var v1 = await editor.Publish(policy);
        var added = await editor.AddRule(policy, "work", "action=accept proto=tcp dstports=1-65535");
        var v2 = await editor.Publish(policy, confirmWithinSeconds: seconds);
        return (v1, v2, added);
    }

    private static async Task<int> Latest(HttpClient http, string policy) => (await http.Policy(policy))["latestVersion"]!.GetValue<int>();

    [Fact]
    public async Task a_publish_that_is_not_confirmed_in_time_is_reverted_to_the_last_confirmed_content()
    {
        using var editor = Host.Client();
        var (v1, v2, added) = await PublishPending(editor, "unconfirmed", seconds: 1);
        Assert.Equal(2, v2["version"]!.GetValue<int>());
        Assert.NotNull(v2["confirmBy"]);
        Assert.Equal(2, (await editor.Policy("unconfirmed"))["pendingVersion"]!.GetValue<int>());

        var reverted = await Eventually.Holds(async () => await Latest(editor, "unconfirmed") >= 3);

        Assert.True(reverted, "no version 3 appeared within 15 s of a missed confirmation deadline");
        var snapshots = await editor.Snapshots("unconfirmed");
        Assert.Equal(new[] { 1, 2, 3 }, snapshots.Select(s => s!["version"]!.GetValue<int>()));
        Assert.Equal(v1["contentSha256"].Str(), snapshots[2]!["contentSha256"].Str());
        var entry = (await editor.History("unconfirmed")).Single(e => e!["version"]?.GetValue<int>() == 3)!;
        Assert.Equal("not confirmed in time", entry["reason"].Str());
        Assert.DoesNotContain("alice", entry["actor"].Str());
        var policy = await editor.Policy("unconfirmed");
        Assert.Null(policy["pendingVersion"]);
        Assert.Equal(3, policy["confirmedVersion"]!.GetValue<int>());
        Assert.DoesNotContain(added, await editor.RuleIds("unconfirmed", "work"));
    }

    [Fact]
    public async Task a_publish_confirmed_in_time_stays()
    {
        using var editor = Host.Client();
        var (_, v2, added) = await PublishPending(editor, "confirmed", seconds: 2);

        await editor.Post("/policies/confirmed/confirm", new { reason = "tested, works" }).Ok();
        var deadline = DateTimeOffset.Parse(v2["confirmBy"].Str(), System.Globalization.CultureInfo.InvariantCulture);
        var wait = deadline - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var policy = await editor.Policy("confirmed");
        Assert.Equal(2, policy["latestVersion"]!.GetValue<int>());
        Assert.Equal(2, policy["confirmedVersion"]!.GetValue<int>());
        Assert.Null(policy["pendingVersion"]);
        Assert.Equal(2, (await editor.Snapshots("confirmed")).Count);
        Assert.Contains(added, await editor.RuleIds("confirmed", "work"));
    }

    [Fact]
    public async Task one_policy_whose_revert_fails_does_not_keep_the_watchdog_from_reverting_another()
    {
        using var editor = Host.Client();
        // Its confirmed v1 is changed in the database after the publish, so its revert is (rightly) refused;
        // overdue first, it comes first in the watchdog's list.
        await PublishPending(editor, "revert-fails", seconds: 1);
        await Host.Database.Execute(SpoilVersionOne("revert-fails"));
        await PublishPending(editor, "revert-after", seconds: 2);

        var reverted = await Eventually.Holds(async () => await Latest(editor, "revert-after") >= 3);

        Assert.True(reverted, "policy revert-after's unconfirmed v2 was never reverted: the watchdog stopped at policy revert-fails");
        Assert.Equal(2, await Latest(editor, "revert-fails"));
    }

    [Fact]
    public async Task a_publish_with_a_deadline_is_refused_when_the_version_it_would_revert_to_cannot_be_restored()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("no-revert");
        await editor.AddRule("no-revert", "work", "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        await editor.Publish("no-revert");
        await editor.AddRule("no-revert", "work", "action=accept proto=tcp dstports=1-65535");
        await Host.Database.Execute(SpoilVersionOne("no-revert"));
        var before = await LogState.Of(Host, "no-revert");

        var response = await editor.Post("/policies/no-revert/publish", new { reason = "try it", confirmWithinSeconds = 60 });

        var problem = await response.Problem(System.Net.HttpStatusCode.UnprocessableEntity);
        Assert.Contains("Unless confirmed, this publish would be reverted to version 1, which cannot be restored", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "no-revert"));
    }

    /// <summary>Version 1's stored copy made to name a content hash the log never recorded: a change made outside Lethe.</summary>
    private static string SpoilVersionOne(string policy) =>
        $"update lethe.mt_doc_snapshotdocument set data = jsonb_set(data, '{{sealed,contentSha256}}', '\"00\"') where id = '{policy}/1'";

    [Fact]
    public async Task a_confirm_naming_the_version_its_caller_tested_is_refused_when_another_was_published_since()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await PublishPending(alice, "unseen", seconds: 300); // alice's v2 waits
        (await carol.Post("/policies/unseen/confirm", new { reason = "v2 works here" })).EnsureSuccessStatusCode();
        await carol.AddRule("unseen", "work", "action=accept proto=udp");
        await carol.Publish("unseen", confirmWithinSeconds: 300); // carol's v3 waits
        var before = await LogState.Of(Host, "unseen");

        var late = await Host.Cli("confirm", "unseen", "--version", "2", "-m", "v2 tested, works");

        Assert.Equal(1, late.ExitCode);
        Assert.Contains("Version 3 of policy unseen waits for confirmation, not version 2", late.Err);
        Assert.Equal(before, await LogState.Of(Host, "unseen"));
        Assert.Equal(3, (await alice.Policy("unseen"))["pendingVersion"]!.GetValue<int>());

        var kept = await Host.Cli("confirm", "unseen", "--version", "3", "-m", "v3 tested");

        Assert.Equal(0, kept.ExitCode);
        Assert.StartsWith("confirmed unseen version 3: it stays", kept.Out);
        var entry = (await alice.History("unseen")).Last()!;
        Assert.Equal("confirmed version 3", entry["summary"].Str());
        Assert.Equal(3, entry["version"]?.GetValue<int>()); // the history's version column names what was confirmed
    }
}
