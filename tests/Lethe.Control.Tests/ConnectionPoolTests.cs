using System.Net;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>
/// More requests at once than the control plane has database connections: a request that waits
/// its pool's whole Timeout for one is told the control plane is busy (503, Retry-After), not that
/// its database is gone, and changes nothing.
/// </summary>
public class ConnectionPoolTests
{
    [Fact]
    public async Task a_request_that_finds_every_connection_in_use_gets_503_busy_with_retry_after_and_changes_nothing()
    {
        var database = await TestDatabase.Create();
        // One connection, one second to wait for it; the watchdog's hourly round is over before the lock below.
        var serverConnection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 1, Timeout = 1 }.ConnectionString;
        await using var host = await ControlPlaneHost.Start(database, confirmCheckSeconds: 3600, serverConnectionString: serverConnection);
        using var editor = host.Client();
        await editor.CreatePolicyWithWork("busy");
        await editor.AddRule("busy", "work", "action=accept");
        await editor.Publish("busy");
        var before = await LogState.Of(host, "busy");

        // A reader the database keeps waiting (a lock another session holds) keeps the one connection.
        await using var locker = new NpgsqlConnection(database.ConnectionString);
        await locker.OpenAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("lock table lethe.mt_doc_policy in access exclusive mode", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }
        using var stuckClient = host.Client(ControlPlaneHost.ViewerToken);
        var stuck = stuckClient.GetAsync("/policies/busy");
        Assert.True(await Eventually.Holds(async () =>
            await database.Count($"select count(*) from pg_stat_activity where datname = '{database.Name}' and wait_event_type = 'Lock'") == 1));

        using var change = await editor.Post("/policies/busy/clients/work/rules", new { rule = "action=drop", reason = "block" });
        using var poll = await editor.GetAsync("/policies/busy/snapshots/latest");

        var changeProblem = await change.Problem(HttpStatusCode.ServiceUnavailable);
        var pollProblem = await poll.Problem(HttpStatusCode.ServiceUnavailable);
        foreach (var (response, problem) in new[] { (change, changeProblem), (poll, pollProblem) })
        {
            Assert.NotNull(response.Headers.RetryAfter?.Delta);
            Assert.Contains("busy", problem["title"].Str(), StringComparison.Ordinal);
            Assert.Contains("connection", problem["detail"].Str(), StringComparison.Ordinal);
            Assert.DoesNotContain("could not be reached", problem["detail"].Str(), StringComparison.Ordinal);
        }
        Assert.Contains("`lethe history`", changeProblem["detail"].Str(), StringComparison.Ordinal);
        Assert.Contains("try again", pollProblem["detail"].Str(), StringComparison.Ordinal);

        await transaction.RollbackAsync();
        using var served = await stuck;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(before, await LogState.Of(host, "busy"));
    }
}
