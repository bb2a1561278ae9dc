using System.Net;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class ConcurrencyTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    [Fact]
    public async Task two_editors_racing_on_one_version_one_wins_and_the_other_gets_409()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("race");

        for (var round = 0; round < 5; round++)
        {
            var read = await alice.GetAsync("/policies/race");
            var version = read.ETag();
            var events = await Host.Database.Count(TestDatabase.PolicyEventCount);
            var aliceRule = $"action=accept dst4=192.0.2.{round + 1}/32 proto=tcp dstports=443-443";
            var carolRule = $"action=accept dst4=198.51.100.{round + 1}/32 proto=tcp dstports=22-22";

            var responses = await Task.WhenAll(
                alice.Post("/policies/race/clients/work/rules", new { rule = aliceRule, reason = "alice's change" }, ifMatch: version),
                carol.Post("/policies/race/clients/work/rules", new { rule = carolRule, reason = "carol's change" }, ifMatch: version));

            var statuses = responses.Select(r => r.StatusCode).OrderBy(s => s).ToArray();
            Assert.Equal(new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }, statuses);
            Assert.Equal(events + 1, await Host.Database.Count(TestDatabase.PolicyEventCount));

            var winner = responses.Single(r => r.StatusCode == HttpStatusCode.OK);
            var loserRule = winner == responses[0] ? carolRule : aliceRule;
            var winnerRule = winner == responses[0] ? aliceRule : carolRule;
            Assert.Equal(version + 1, winner.ETag());
            Assert.Equal(version + 1, (await winner.Json())["version"]!.GetValue<long>());
            var rules = await alice.RuleTexts("race", "work");
            Assert.Contains(winnerRule, rules);
            Assert.DoesNotContain(loserRule, rules);

            var loser = responses.Single(r => r.StatusCode == HttpStatusCode.Conflict);
            var problem = await loser.Problem(HttpStatusCode.Conflict);
            Assert.Contains("Nothing was applied", problem["detail"].Str());
        }
    }

    [Fact]
    public async Task the_loser_can_read_again_and_apply_its_change_with_the_new_version()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("retry");
        var version = await alice.VersionOf("retry");
        await alice.Post("/policies/retry/clients/work/rules", new { rule = "action=drop", reason = "alice first" }, ifMatch: version).Ok();

        var stale = await carol.Post("/policies/retry/clients/work/rules", new { rule = "action=accept", reason = "carol" }, ifMatch: version);
        var fresh = await carol.GetAsync("/policies/retry");
        var retried = await carol.Post("/policies/retry/clients/work/rules", new { rule = "action=accept", position = 0, reason = "carol" }, ifMatch: fresh.ETag());

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(new[] { "action=accept", "action=drop" }, await alice.RuleTexts("retry", "work"));
    }

    [Fact]
    public async Task every_change_answers_the_new_version_in_its_etag()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("etags");
        var before = (await editor.GetAsync("/policies/etags")).ETag();

        var added = await editor.Post("/policies/etags/clients/work/rules", new { rule = "action=drop", reason = "block" }, ifMatch: before);
        var published = await editor.Post("/policies/etags/publish", new { reason = "ship" }, ifMatch: added.ETag());
        var read = await editor.GetAsync("/policies/etags");

        Assert.Equal(before + 1, added.ETag());
        Assert.Equal(before + 2, published.ETag());
        Assert.Equal(before + 2, read.ETag());
        Assert.Equal(before + 2, (await read.Json())["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task without_if_match_concurrent_changes_never_lose_an_acknowledged_write()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("no-if-match");

        var responses = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            (i % 2 == 0 ? alice : carol).Post("/policies/no-if-match/clients/work/rules", new { rule = $"action=accept dst4=192.0.2.{i}", reason = "parallel" })));

        var accepted = new List<string>();
        foreach (var response in responses)
        {
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict });
            if (response.StatusCode == HttpStatusCode.OK)
            {
                accepted.Add((await response.Json())["id"].Str());
            }
        }
        var stored = await alice.RuleIds("no-if-match", "work");
        // Of writes that race, one always lands; each other one is refused whole (409), never half applied.
        Assert.NotEmpty(accepted);
        Assert.Equal(accepted.OrderBy(x => x), stored.OrderBy(x => x));
    }

    [Fact]
    public async Task an_if_match_listing_several_versions_is_refused_naming_the_header_and_changes_nothing()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("etag-list");
        var current = await editor.VersionOf("etag-list");
        var before = await LogState.Of(Host, "etag-list");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/policies/etag-list/clients/work/rules")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { rule = "action=drop", reason = "block" }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{current - 1}\", \"{current}\"");

        using var response = await editor.SendAsync(request);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Contains("takes one policy version", problem.ErrorText("If-Match"));
        Assert.Equal(before, await LogState.Of(Host, "etag-list"));
    }
}
