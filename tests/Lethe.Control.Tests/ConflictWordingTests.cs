using System.Net;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>
/// What a 409 says: an If-Match that was stale when the request came is told so, with the version
/// the policy is at; a request that lost a race to another is told that, in terms of what it sent.
/// Both carry that version as data too (<c>currentVersion</c>, and the ETag a change answers with), so
/// a client that retries need not read it out of the English.
/// </summary>
public class ConflictWordingTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    private const string LostRaceTitle = "The policy changed while this request was being made.";

    private const string StaleTitle = "The policy is not at the version this request named.";

    [Fact]
    public async Task a_stale_if_match_is_told_the_version_the_policy_is_at_not_that_it_lost_a_race()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("stale-match");
        var read = await editor.VersionOf("stale-match");
        await editor.Post("/policies/stale-match/clients/work/rules", new { rule = "action=drop", reason = "block" }, ifMatch: read).Ok();
        var before = await LogState.Of(Host, "stale-match");

        using var stale = await editor.Post("/policies/stale-match/clients/work/rules", new { rule = "action=accept", reason = "open" }, ifMatch: read);

        var problem = await stale.Problem(HttpStatusCode.Conflict);
        Assert.Equal(StaleTitle, problem["title"].Str());
        Assert.Equal($"Policy stale-match is at version {read + 1}, not {read} as this request's If-Match said: it was changed after version {read} was read. " +
            $"Nothing was applied; read it again and, if the change still holds, send it with version {read + 1}.", problem["detail"].Str());
        await AssertCurrentVersion(stale, problem, read + 1, "/policies/{policy}/clients/{client}/rules");
        Assert.Equal(before, await LogState.Of(Host, "stale-match"));
    }

    [Fact]
    public async Task an_if_match_that_was_current_when_read_but_lost_the_write_to_another_request_is_told_it_lost_a_race()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("race-match");
        var read = await alice.VersionOf("race-match");

        await using var held = await StreamLock.Take(Host, "race-match");
        var rival = carol.Post("/policies/race-match/clients/work/rules", new { rule = "action=drop", reason = "carol first" });
        await held.WaitForWaiters(1);
        var change = alice.Post("/policies/race-match/clients/work/rules", new { rule = "action=accept", reason = "alice" }, ifMatch: read);
        await held.WaitForWaiters(2);
        await held.Release();

        await rival.Ok();
        using var lost = await change;
        var problem = await lost.Problem(HttpStatusCode.Conflict);
        Assert.Equal(LostRaceTitle, problem["title"].Str());
        Assert.Contains($"after version {read}, the one its If-Match named", problem["detail"].Str());
        await AssertCurrentVersion(lost, problem, read + 1, "/policies/{policy}/clients/{client}/rules");
        Assert.Equal(new[] { "action=drop" }, await alice.RuleTexts("race-match", "work"));
    }

    [Fact]
    public async Task a_publish_that_lost_a_race_to_a_change_says_what_landed_and_names_no_version_it_was_not_given()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("race-publish");
        await alice.AddRule("race-publish", "work", "action=drop");
        var read = await alice.VersionOf("race-publish");

        await using var held = await StreamLock.Take(Host, "race-publish");
        var rival = carol.Post("/policies/race-publish/clients/work/rules", new { rule = "action=accept dst4=192.0.2.1", reason = "carol" });
        await held.WaitForWaiters(1);
        var publish = alice.Post("/policies/race-publish/publish", new { reason = "ship it" });
        await held.WaitForWaiters(2);
        await held.Release();

        await rival.Ok();
        using var lost = await publish;
        var problem = await lost.Problem(HttpStatusCode.Conflict);
        Assert.Equal(LostRaceTitle, problem["title"].Str());
        Assert.Equal($"Another request changed policy race-publish while this publish was being made: 1 change landed first, and the policy is now at version {read + 1}. " +
            "Nothing was published; look at the draft again (lethe show, lethe diff) and publish it if it is still what you want.", problem["detail"].Str());
        await AssertCurrentVersion(lost, problem, read + 1, "/policies/{policy}/publish");
        Assert.Empty(await alice.Snapshots("race-publish"));
    }

    [Fact]
    public async Task a_rollback_that_lost_a_race_to_a_publish_names_the_version_that_publish_made()
    {
        using var alice = Host.Client(ControlPlaneHost.EditorToken);
        using var carol = Host.Client(ControlPlaneHost.OtherEditorToken);
        await alice.CreatePolicyWithWork("race-rollback");
        await alice.Publish("race-rollback");
        await alice.AddRule("race-rollback", "work", "action=drop");
        await alice.Publish("race-rollback");
        await alice.AddRule("race-rollback", "work", "action=accept dst4=192.0.2.1");
        var read = await alice.VersionOf("race-rollback");

        await using var held = await StreamLock.Take(Host, "race-rollback");
        var rival = carol.Post("/policies/race-rollback/publish", new { reason = "carol ships" });
        await held.WaitForWaiters(1);
        var rollback = alice.Post("/policies/race-rollback/rollback", new { toVersion = 1, reason = "undo" });
        await held.WaitForWaiters(2);
        await held.Release();

        await rival.Ok();
        using var lost = await rollback;
        var problem = await lost.Problem(HttpStatusCode.Conflict);
        Assert.Equal(LostRaceTitle, problem["title"].Str());
        Assert.Equal($"Another request changed policy race-rollback while this rollback was being made: it published version 3 first, and the policy is now at version {read + 1}. " +
            "Nothing was rolled back; look at the policy again (lethe show, lethe history) and roll back if it is still what you want.", problem["detail"].Str());
        await AssertCurrentVersion(lost, problem, read + 1, "/policies/{policy}/rollback");
        Assert.Equal(3, (await alice.Snapshots("race-rollback")).Count);
    }

    [Fact]
    public async Task a_conflict_that_is_not_about_versions_names_no_current_version()
    {
        using var editor = Host.Client();
        await editor.CreatePolicyWithWork("taken-name");

        using var taken = await editor.Post("/policies", new { name = "taken-name", reason = "again" });

        var problem = await taken.Problem(HttpStatusCode.Conflict);
        Assert.Null(problem["currentVersion"]);
        Assert.Null(taken.Headers.ETag);
    }

    /// <summary>
    /// The version the policy is at, as a number in the problem and as the ETag a change answers with (the
    /// value for the next If-Match), and the answer as the OpenAPI document describes it.
    /// </summary>
    private async Task AssertCurrentVersion(HttpResponseMessage conflict, System.Text.Json.Nodes.JsonNode problem, long expected, string template)
    {
        Assert.Equal(System.Text.Json.JsonValueKind.Number, problem["currentVersion"]?.GetValueKind());
        Assert.Equal(expected, problem["currentVersion"]!.GetValue<long>());
        Assert.Equal($"\"{expected}\"", conflict.Headers.ETag?.ToString());
        using var viewer = Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        Assert.Empty(await contract.Mismatches(HttpMethod.Post, template, conflict));
        Assert.Empty(contract.UndocumentedHeaders(HttpMethod.Post, template, conflict));
    }

    /// <summary>
    /// A row lock on a policy's stream, taken by the test: requests that write to the policy read it
    /// as it is, then wait at their write, in the order they came, until the test releases it.
    /// </summary>
    private sealed class StreamLock(NpgsqlConnection connection, NpgsqlTransaction transaction, TestDatabase database) : IAsyncDisposable
    {
        public static async Task<StreamLock> Take(ControlPlaneHost host, string policy)
        {
            var connection = new NpgsqlConnection(host.Database.ConnectionString);
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand("select 1 from lethe.mt_streams where id = @id for update", connection, transaction);
            command.Parameters.AddWithValue("id", policy);
            Assert.NotNull(await command.ExecuteScalarAsync());
            return new StreamLock(connection, transaction, host.Database);
        }

        /// <summary>Until <paramref name="count"/> of the control plane's sessions wait for a lock in this database.</summary>
        public async Task WaitForWaiters(int count)
        {
            await using var probe = new NpgsqlConnection(database.ConnectionString);
            await probe.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select count(*) from pg_stat_activity where datname = @db and wait_event_type = 'Lock' and pid <> pg_backend_pid()", probe);
            command.Parameters.AddWithValue("db", database.Name);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((long)(await command.ExecuteScalarAsync())! < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"fewer than {count} request(s) came to wait at the policy's write");
                await Task.Delay(20);
            }
        }

        public Task Release() => transaction.CommitAsync();

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
