using System.Net;
using System.Text.RegularExpressions;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class PublishingTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    /// <summary>One more rule for client work, published as the next version.</summary>
    private static async Task AddAndPublish(HttpClient editor, string policy, string rule, int? position = null)
    {
        await editor.AddRule(policy, "work", rule, position);
        await editor.Publish(policy);
    }

    [Fact]
    public async Task a_failing_policy_test_refuses_the_publish_naming_the_test_and_the_deciding_rule()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("gated");
        await editor.AddRule("gated", "work", "action=accept dst4=192.0.2.0/24 proto=tcp dstports=80");
        var blocking = await editor.AddRule("gated", "work", "action=drop dst4=192.0.2.10 proto=tcp dstports=443");
        var passing = await editor.AddTest("gated", "work", "192.0.2.20", "tcp", 80, "accept");
        var failing = await editor.AddTest("gated", "work", "192.0.2.10", "tcp", 443, "accept");

        var response = await editor.Post("/policies/gated/publish", new { reason = "ship" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        var failure = Assert.Single(problem["failures"]!.AsArray())!;
        Assert.Equal(failing, failure["test"].Str());
        Assert.Equal(blocking, failure["rule"].Str());
        Assert.DoesNotContain(passing, problem.ToJsonString());
        Assert.Contains(failing, problem["detail"].Str());
        Assert.Contains(blocking, problem["detail"].Str());
        Assert.Empty(await editor.Snapshots("gated"));
        Assert.Equal(0, (await editor.Policy("gated"))["latestVersion"]!.GetValue<int>());
    }

    [Fact]
    public async Task a_policy_tests_address_is_kept_in_its_canonical_form()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("spelled");
        await editor.AddTest("spelled", "work", "2001:DB8:0:0::0001", "tcp", 443, "drop");

        var tests = await (await editor.GetAsync("/policies/spelled/tests")).Json();

        Assert.Equal("2001:db8::1", tests[0]!["to"].Str());
    }

    [Fact]
    public async Task fixing_the_rule_lets_the_gated_publish_through()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("fixed");
        var blocking = await editor.AddRule("fixed", "work", "action=drop dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest("fixed", "work", "192.0.2.10", "tcp", 443, "accept");
        await editor.AddTest("fixed", "work", "192.0.2.10", "tcp", 22, "drop");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await editor.Post("/policies/fixed/publish", new { reason = "ship" })).StatusCode);

        await editor.Post($"/policies/fixed/rules/{blocking}/replace", new { rule = "action=accept dst4=192.0.2.10 proto=tcp dstports=443", reason = "open https" }).Ok();
        await editor.AddRule("fixed", "work", "action=drop");
        var published = await editor.Publish("fixed");

        Assert.Equal(1, published["version"]!.GetValue<int>());
    }

    [Fact]
    public async Task versions_count_1_2_3_and_each_publish_answers_its_version_and_content_hash()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("counting");

        var versions = new List<int>();
        var hashes = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            await editor.AddRule("counting", "work", $"action=accept dst4=192.0.2.{i} proto=tcp dstports=443");
            var published = await editor.Publish("counting");
            versions.Add(published["version"]!.GetValue<int>());
            hashes.Add(published["contentSha256"].Str());
        }

        Assert.Equal(new[] { 1, 2, 3 }, versions);
        Assert.All(hashes, h => Assert.Matches(new Regex("^[0-9a-f]{64}$"), h));
        Assert.Equal(3, hashes.Distinct().Count());
        var listed = await editor.Snapshots("counting");
        Assert.Equal(versions, listed.Select(s => s!["version"]!.GetValue<int>()));
        Assert.Equal(hashes, listed.Select(s => s!["contentSha256"].Str()));
    }

    [Fact]
    public async Task rollback_publishes_an_older_versions_exact_content_as_a_new_version()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("rollback");
        var kept = await editor.AddRule("rollback", "work", "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        var v1 = await editor.Publish("rollback");
        var regretted = await editor.AddRule("rollback", "work", "action=accept proto=tcp dstports=1-65535");
        var v2 = await editor.Publish("rollback");

        var v3 = await editor.Post("/policies/rollback/rollback", new { toVersion = 1, reason = "v2 opened too much" }).Ok();

        Assert.Equal(3, v3["version"]!.GetValue<int>());
        Assert.Equal(v1["contentSha256"].Str(), v3["contentSha256"].Str());
        Assert.NotEqual(v2["contentSha256"].Str(), v3["contentSha256"].Str());
        Assert.Equal(new[] { kept }, await editor.RuleIds("rollback", "work"));
        Assert.DoesNotContain(regretted, await editor.RuleIds("rollback", "work"));
        var listed = await editor.Snapshots("rollback");
        Assert.Equal(new[] { 1, 2, 3 }, listed.Select(s => s!["version"]!.GetValue<int>()));
        Assert.Equal(v2["contentSha256"].Str(), listed[1]!["contentSha256"].Str());
    }

    [Fact]
    public async Task a_removed_rule_put_back_where_it_was_leaves_the_draft_as_published()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("audit-undo");
        await alice.AddRule("audit-undo", "work", "action=accept proto=tcp dstports=443");
        await alice.AddRule("audit-undo", "work", "action=drop");
        await alice.AddTest("audit-undo", "work", "192.0.2.1", "tcp", 443, "accept");
        var v1 = await alice.Publish("audit-undo");
        var published = await alice.RuleIds("audit-undo", "work");
        var latest = await alice.GetByteArrayAsync("/policies/audit-undo/snapshots/latest");
        await alice.Post($"/policies/audit-undo/rules/{published[0]}/remove", new { reason = "wrong rule" }).Ok();
        await alice.AddTest("audit-undo", "work", "192.0.2.1", "tcp", 22, "drop");

        using var rollback = await alice.Post("/policies/audit-undo/rollback", new { toVersion = 1, reason = "undo" });

        var answer = await rollback.Json();
        Assert.True(rollback.IsSuccessStatusCode, $"the rollback was refused: {answer}");
        Assert.False(answer["newVersion"]!.GetValue<bool>());
        Assert.Equal(1, answer["version"]!.GetValue<int>());
        Assert.Equal(v1["contentSha256"].Str(), answer["contentSha256"].Str());
        Assert.Equal(await alice.VersionOf("audit-undo"), rollback.ETag());
        Assert.Empty((await alice.GetAsync("/policies/audit-undo/diff?from=1&to=draft").Ok()).AsArray());
        Assert.Equal(published, await alice.RuleIds("audit-undo", "work"));
        Assert.Equal([1], (await alice.Snapshots("audit-undo")).Select(s => s!["version"]!.GetValue<int>()));
        Assert.Equal(latest, await alice.GetByteArrayAsync("/policies/audit-undo/snapshots/latest"));
        var policy = await alice.Policy("audit-undo");
        Assert.Equal(1, policy["latestVersion"]!.GetValue<int>());
        Assert.Single(policy["tests"]!.AsArray());
        var entry = (await alice.History("audit-undo")).Last()!;
        Assert.Equal("draft restored to version 1 (discarding unpublished changes)", entry["summary"].Str());
        Assert.Equal("undo", entry["reason"].Str());
        Assert.Null(entry["version"]);
    }

    [Fact]
    public async Task a_rollback_to_the_latest_version_of_a_draft_left_as_published_has_nothing_to_do()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("undo-nothing");
        var rule = await alice.AddRule("undo-nothing", "work", "action=drop");
        await alice.Publish("undo-nothing");
        await alice.Post($"/policies/undo-nothing/rules/{rule}/replace", new { rule = "action=accept", reason = "try" }).Ok();
        await alice.Post("/policies/undo-nothing/rollback", new { toVersion = 1, reason = "undo" }).Ok();
        var before = await LogState.Of(Host, "undo-nothing");

        using var again = await alice.Post("/policies/undo-nothing/rollback", new { toVersion = 1, reason = "undo twice" });

        var problem = await again.Problem(HttpStatusCode.Conflict);
        Assert.Contains("already as version 1 left it", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "undo-nothing"));
    }

    [Theory]
    // v2's content alone: it no longer hashes to what v1 recorded.
    [InlineData("tampered-content", "jsonb_set(data, '{sealed,content}', (select data->'sealed'->'content' from lethe.mt_doc_snapshotdocument where id = '{v2}'))",
        "does not hash to the SHA-256 it recorded")]
    // v2's whole signed snapshot relabelled as version 1: it hashes and verifies, but is not what the log recorded for v1.
    [InlineData("tampered-signed", "jsonb_set(data, '{sealed}', jsonb_set((select data->'sealed' from lethe.mt_doc_snapshotdocument where id = '{v2}'), '{version}', '1'))",
        "other than the log recorded for it")]
    // v2's content with its hash, under a key id nobody holds, so no signature check could apply.
    [InlineData("tampered-keyid", "jsonb_set(jsonb_set(jsonb_set(data, '{sealed,content}', (select data->'sealed'->'content' from lethe.mt_doc_snapshotdocument where id = '{v2}')), " +
        "'{sealed,contentSha256}', (select data->'sealed'->'contentSha256' from lethe.mt_doc_snapshotdocument where id = '{v2}')), '{sealed,keyId}', '\"retired-key\"')",
        "other than the log recorded for it")]
    public async Task a_rollback_to_a_version_changed_in_the_database_is_refused_and_nothing_is_signed(string name, string change, string expected)
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork(name);
        await AddAndPublish(editor, name, "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        await AddAndPublish(editor, name, "action=accept proto=tcp dstports=1-65535");
        // Someone with write access to the database but not the key makes version 1 hold what it never held.
        await Host.Database.Execute($"update lethe.mt_doc_snapshotdocument set data = {change.Replace("{v2}", $"{name}/2", StringComparison.Ordinal)} where id = '{name}/1'");
        var before = await LogState.Of(Host, name);

        var response = await editor.Post($"/policies/{name}/rollback", new { toVersion = 1, reason = "back to the narrow rule" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains(expected, problem["detail"].Str());
        Assert.Contains("changed outside Lethe", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, name));
    }

    [Fact]
    public async Task a_rollback_restores_the_draft_the_log_recorded_not_one_changed_beside_the_snapshot()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("kept-draft");
        await editor.AddRule("kept-draft", "work", "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        await editor.AddTest("kept-draft", "work", "198.51.100.7", "tcp", 22, "drop");
        await editor.Publish("kept-draft");
        await AddAndPublish(editor, "kept-draft", "action=accept proto=tcp dstports=80");
        // The draft kept beside v1 widened and its test dropped: a rollback writes its draft into the log,
        // and the next publish would seal it.
        await Host.Database.Execute("update lethe.mt_doc_snapshotdocument set data = jsonb_set(jsonb_set(data, '{draft,clients,0,rules,0,rule}', " +
            "'\"action=accept proto=tcp dstports=1-65535\"'), '{draft,tests}', '[]') where id = 'kept-draft/1'");

        await editor.Post("/policies/kept-draft/rollback", new { toVersion = 1, reason = "back" }).Ok();

        var draft = await editor.GetStringAsync("/policies/kept-draft");
        Assert.DoesNotContain("1-65535", draft);
        Assert.Contains("dst4=192.0.2.1/32", draft);
        Assert.Contains("198.51.100.7", draft);
    }

    [Fact]
    public async Task a_policy_test_removed_from_the_stored_draft_still_gates_the_publish()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("tampered-tests");
        await editor.AddRule("tampered-tests", "work", "action=drop dst4=192.0.2.10 proto=tcp dstports=443");
        await editor.AddTest("tampered-tests", "work", "192.0.2.10", "tcp", 443, "accept");
        await Host.Database.Execute("update lethe.mt_doc_policy set data = jsonb_set(data, '{draft,tests}', '[]') where id = 'tampered-tests'");

        var response = await editor.Post("/policies/tampered-tests/publish", new { reason = "ship" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("tests failed", problem["title"].Str());
        Assert.Empty(await editor.Snapshots("tampered-tests"));
    }

    [Fact]
    public async Task a_pending_publish_written_into_the_stored_policy_is_not_reverted_by_the_watchdog()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("tampered-pending");
        await AddAndPublish(editor, "tampered-pending", "action=accept proto=tcp dstports=1-65535");
        await AddAndPublish(editor, "tampered-pending", "action=drop", position: 0);
        // v2 was never published on trial; the stored projection is made to say it was, and is overdue, so a
        // watchdog that believed it would sign v1's wide content as v3, newer than what the firewalls run.
        await Host.Database.Execute("update lethe.mt_doc_policy set data = jsonb_set(jsonb_set(jsonb_set(data, '{publishing,confirmedVersion}', '1'), " +
            "'{publishing,pendingVersion}', '2'), '{publishing,confirmBy}', '\"2000-01-01T00:00:00+00:00\"') where id = 'tampered-pending'");

        // The watchdog looks every 0.2 s here: ten looks.
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Equal(new[] { 1, 2 }, (await editor.Snapshots("tampered-pending")).Select(s => s!["version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task a_draft_changed_in_the_database_without_an_event_is_not_published()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("tampered-draft");
        await editor.AddRule("tampered-draft", "work", "action=accept dst4=192.0.2.1 proto=tcp dstports=443");
        // The stored draft widened behind the log's back: no event says so.
        await Host.Database.Execute("update lethe.mt_doc_policy set data = jsonb_set(data, '{draft,clients,0,rules,0,rule}', " +
            "'\"action=accept proto=tcp dstports=1-65535\"') where id = 'tampered-draft'");
        Assert.Contains("1-65535", await editor.GetStringAsync("/policies/tampered-draft"));
        var before = await LogState.Of(Host, "tampered-draft");

        var response = await editor.Post("/policies/tampered-draft/publish", new { reason = "ship" });

        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Contains("differs from what its log records", problem["detail"].Str());
        Assert.Equal(before, await LogState.Of(Host, "tampered-draft"));
    }

    [Fact]
    public async Task a_rule_comment_is_not_part_of_the_sealed_content()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("comments");
        var id = await editor.AddRule("comments", "work", "action=accept dst4=192.0.2.1 comment=first wording");
        await editor.Publish("comments");
        await editor.Post($"/policies/comments/rules/{id}/replace", new { rule = "action=accept dst4=192.0.2.1 comment=second wording", reason = "reword" }).Ok();

        var response = await editor.Post("/policies/comments/publish", new { reason = "ship" });

        var problem = await response.Problem(HttpStatusCode.Conflict);
        Assert.Contains("identical to version 1", problem["detail"].Str());
    }

    [Fact]
    public async Task the_policy_shows_the_latest_published_version()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("latest");
        await editor.Publish("latest");
        await editor.AddRule("latest", "work", "action=drop");
        await editor.Publish("latest");

        var policy = await editor.Policy("latest");

        Assert.Equal(2, policy["latestVersion"]!.GetValue<int>());
        Assert.Equal(2, policy["confirmedVersion"]!.GetValue<int>());
        Assert.Null(policy["pendingVersion"]);
    }

    [Fact]
    public async Task the_snapshots_of_a_policy_that_does_not_exist_are_404_not_an_empty_list()
    {
        using var viewer = Host.Client();

        var response = await viewer.GetAsync("/policies/never-made/snapshots");

        await response.Problem(HttpStatusCode.NotFound);
    }
}
