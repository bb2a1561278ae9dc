using System.Net;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport.Host;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Control.Tests;

/// <summary>
/// The edits that would make a policy unpublishable (a client past <see cref="SnapshotLimits.MaxRulesPerClient"/>
/// rules, a policy past <see cref="SnapshotLimits.MaxClients"/> clients) are refused with 422 when made, changing
/// nothing; a draft beyond a limit from an older build's log still loads and can lose rules.
/// </summary>
public class DraftLimitTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private const int Max = SnapshotLimits.MaxRulesPerClient;

    private ControlPlaneHost Host => fixture.Host;

    private static string[] Lines(int count, int from = 0) =>
        [.. Enumerable.Range(from, count).Select(i => $"action=accept dst4=10.{i >> 8 & 255}.{i & 255}.0/24 proto=tcp dstports=443")];

    private static async Task Import(HttpClient editor, string policy, int count) =>
        await editor.Post($"/policies/{policy}/clients/work/rules/import", new { lines = Lines(count), replace = false, reason = "from Qubes" }).Ok();

    /// <summary>The 422's detail, once the log, the snapshots and the draft are seen unchanged by <paramref name="edit"/>.</summary>
    private async Task<string> Refused(string policy, Func<Task<HttpResponseMessage>> edit)
    {
        var before = await LogState.Of(Host, policy);
        using var response = await edit();
        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(before, await LogState.Of(Host, policy));
        return problem["detail"].Str();
    }

    private static void AssertNames(string detail, string client, string policy, int reached)
    {
        Assert.Contains($"client {client} of policy {policy} {reached} rules", detail);
        Assert.Contains($"at most {Max} per client", detail);
    }

    [Fact]
    public async Task a_rule_added_to_a_client_at_the_limit_gets_422_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-add");
        await Import(editor, "limit-add", Max);

        var refused = await Refused("limit-add", () =>
            editor.Post("/policies/limit-add/clients/work/rules", new { rule = "action=drop", reason = "one more" }));

        AssertNames(refused, "work", "limit-add", Max + 1);
    }

    [Fact]
    public async Task a_cli_import_past_the_limit_is_an_error_naming_the_client_the_count_and_the_limit_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-import");
        await editor.AddRule("limit-import", "work", "action=accept proto=tcp dstports=22");
        var file = Path.Combine(Path.GetTempPath(), "lethe-limit-" + Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllLinesAsync(file, Lines(Max));
        try
        {
            var before = await LogState.Of(Host, "limit-import");

            var run = await Host.Cli("rule", "import", "limit-import", "work", file, "-m", "from Qubes");

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("error: ", run.Err);
            AssertNames(run.Err, "work", "limit-import", Max + 1);
            Assert.Equal(before, await LogState.Of(Host, "limit-import"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task a_cli_import_of_more_rules_than_a_client_holds_is_refused_before_anything_is_sent()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-file");
        var file = Path.Combine(Path.GetTempPath(), "lethe-limit-" + Guid.NewGuid().ToString("N") + ".txt");
        // Comments and blank lines are not rules: only the 10,001 rule lines count.
        await File.WriteAllLinesAsync(file, ["# from Qubes", "", .. Lines(Max + 1), "   ", "# end"]);
        try
        {
            var before = await LogState.Of(Host, "limit-file");

            var run = await Host.Cli("rule", "import", "limit-file", "work", file, "-m", "from Qubes");

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith($"error: {file} holds 10,001 rules; a client holds at most 10,000 ", run.Err);
            Assert.Contains("nothing was sent", run.Err);
            Assert.Equal(before, await LogState.Of(Host, "limit-file"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>More rules than any client holds: wrong whatever the client holds, so a field error, given before any line is parsed.</summary>
    [Fact]
    public async Task an_import_replacing_a_clients_rules_with_more_than_the_limit_gets_400_by_its_count_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-replace");
        await editor.AddRule("limit-replace", "work", "action=accept proto=tcp dstports=22");
        var before = await LogState.Of(Host, "limit-replace");

        using var response = await editor.Post("/policies/limit-replace/clients/work/rules/import",
            new { lines = Lines(Max + 1), replace = true, reason = "from Qubes" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.StartsWith($"The import holds 10,001 rules; a client holds at most 10,000 ", problem.ErrorText("lines"));
        Assert.Equal(before, await LogState.Of(Host, "limit-replace"));
    }

    [Fact]
    public async Task a_client_added_to_a_policy_with_as_many_clients_as_a_firewall_tells_apart_gets_422_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicy("limit-clients");
        // Added one by one through the API this takes hours; the log holds the same draft in one event.
        var full = new DraftContent([.. Enumerable.Range(0, SnapshotLimits.MaxClients)
            .Select(c => new ClientDraft($"c{c}", [$"10.{c >> 16 & 255}.{c >> 8 & 255}.{c & 255}"], []))], []);
        await Append("limit-clients", await editor.VersionOf("limit-clients"), [new DraftRestored(0, full)]);

        var refused = await Refused("limit-clients", () => editor.Post("/policies/limit-clients/clients",
            new { name = "one-more", addresses = new[] { "192.0.2.1" }, reason = "one more" }));

        Assert.Contains($"Adding client one-more would give policy limit-clients {SnapshotLimits.MaxClients + 1} clients", refused);
        Assert.Contains($"at most {SnapshotLimits.MaxClients}", refused);
    }

    [Fact]
    public async Task a_test_added_to_a_client_that_has_the_most_tests_gets_422_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-tests");
        // Added one by one through the API this takes a thousand requests; the log holds the same tests as their events.
        var tests = Enumerable.Range(0, PolicyTest.MaxPerClient)
            .Select(i => (object)new PolicyTestAdded(new PolicyTest($"t-{i}", "work", "192.0.2.1", "tcp", i + 1, null, "drop"))).ToArray();
        await Append("limit-tests", await editor.VersionOf("limit-tests"), tests);

        var refused = await Refused("limit-tests", () => editor.Post("/policies/limit-tests/tests",
            new { client = "work", to = "192.0.2.1", port = 443, expect = "drop", reason = "one more" }));

        Assert.Contains($"client work of policy limit-tests {PolicyTest.MaxPerClient + 1:N0} tests", refused);
        Assert.Contains($"at most {PolicyTest.MaxPerClient:N0}", refused);
    }

    [Fact]
    public async Task a_draft_beyond_the_limit_from_an_older_build_loses_rules_gains_none_and_its_version_is_not_restored()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("limit-old");
        var rules = Lines(Max + 2).Select((line, i) => new DraftRule($"old{i}", RuleParser.Parse(line, 0).ToString())).ToArray();
        var draft = new DraftContent([new ClientDraft("work", ["10.137.0.10"], rules)], []);
        var at = await editor.VersionOf("limit-old");
        // As a build that checked the limit only at publish, or not at all, wrote it: imported, then published as version 1.
        await Append("limit-old", at, [new RulesImported("work", false, rules)]);
        var content = SnapshotCodec.ToBytes(SnapshotCodec.FromDraft("limit-old", draft));
        var v1 = SnapshotSealer.Seal(content, "limit-old", 1, at + 1, DateTimeOffset.UnixEpoch.AddYears(56), "0123456789abcdef", _ => new byte[64]);
        await Append("limit-old", at + 1, [new PolicyPublished(1, v1.ContentSha256, at + 1, null)], new StoredSnapshot(v1, draft));

        using (var removed = await editor.Post("/policies/limit-old/rules/old0/remove", new { reason = "trim" }))
        {
            Assert.True(removed.IsSuccessStatusCode, await removed.Content.ReadAsStringAsync());
        }
        Assert.Equal(Max + 1, (await editor.RuleIds("limit-old", "work")).Length);

        var added = await Refused("limit-old", () =>
            editor.Post("/policies/limit-old/clients/work/rules", new { rule = "action=drop", reason = "one more" }));
        var restored = await Refused("limit-old", () =>
            editor.Post("/policies/limit-old/rollback", new { toVersion = 1, reason = "undo the trim" }));

        AssertNames(added, "work", "limit-old", Max + 2);
        AssertNames(restored, "work", "limit-old", Max + 2);
        Assert.Contains("Restoring the draft of version 1", restored);
    }

    private async Task Append(string policy, long expectedVersion, IReadOnlyList<object> events, StoredSnapshot? snapshot = null)
    {
        var documents = Host.App.Services.GetRequiredService<IDocumentStore>();
        await using var session = documents.LightweightSession();
        await new MartenPolicyStore(session).Append(policy, expectedVersion, events, new AuditStamp("alice", "an older build", "old-build"), snapshot, default);
    }
}
