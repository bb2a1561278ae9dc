using System.Net;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>
/// More requests at once than the control plane has database connections: a request that waits
/// its pool's whole Timeout for one is told the control plane is busy (503, Retry-After), and one
/// PostgreSQL refuses a connection for is told which limit was reached; neither is told its database
/// is gone, and neither changes anything.
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
        await using var stuck = await StuckReader.Hold(database, host, "busy");

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

        Assert.Equal(HttpStatusCode.OK, await stuck.Release());
        Assert.Equal(before, await LogState.Of(host, "busy"));
    }

    [Fact]
    public async Task a_request_postgresql_refuses_a_connection_for_gets_503_naming_its_connection_limit_and_changes_nothing()
    {
        // As README sets it up: a role of its own owning the database (a superuser would pass every limit).
        await using var database = await TestDatabase.Create(migrate: false);
        var role = "lethe_limited_" + database.Name;
        const string Password = "limited-role-password";
        await using var roles = new NpgsqlConnection(TestDatabase.ServerConnectionString);
        await roles.OpenAsync();
        await Sql(roles, $"create role {role} login password '{Password}'");
        try
        {
            await Sql(roles, $"alter database {database.Name} owner to {role}");
            var roleConnection = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = Password }.ConnectionString;
            await Lethe.Infrastructure.Migrations.MigrationRunner.Apply(roleConnection, RepositoryPaths.Migrations, CancellationToken.None);
            // The migration's connection would otherwise stay open in this process's pool, counted against the role's limit.
            NpgsqlConnection.ClearAllPools();
            // Without a pool every request opens a connection of its own, so the limit decides which one PostgreSQL refuses.
            var serverConnection = new NpgsqlConnectionStringBuilder(roleConnection) { Pooling = false }.ConnectionString;
            await using (var host = await ControlPlaneHost.Start(database, confirmCheckSeconds: 3600, serverConnectionString: serverConnection))
            {
                using var editor = host.Client();
                await editor.CreatePolicyWithWork("full");
                await editor.AddRule("full", "work", "action=accept");
                await editor.Publish("full");
                var before = await LogState.Of(host, "full");

                // PostgreSQL's answer at max_connections ("too many clients already") and at a role's limit share one code, 53300.
                await Sql(roles, $"alter role {role} connection limit 1");
                // The one connection the role may have waits on the lock; whatever comes next needs another.
                await using var stuck = await StuckReader.Hold(database, host, "full");

                using var change = await editor.Post("/policies/full/clients/work/rules", new { rule = "action=drop", reason = "block" });
                using var poll = await editor.GetAsync("/policies/full/snapshots/latest");

                foreach (var response in new[] { change, poll })
                {
                    var problem = await response.Problem(HttpStatusCode.ServiceUnavailable);
                    Assert.NotNull(response.Headers.RetryAfter?.Delta);
                    Assert.Contains("refused", problem["title"].Str(), StringComparison.Ordinal);
                    Assert.Contains("max_connections", problem["detail"].Str(), StringComparison.Ordinal);
                    Assert.DoesNotContain("could not be reached", problem["detail"].Str(), StringComparison.Ordinal);
                }

                Assert.Equal(HttpStatusCode.OK, await stuck.Release());
                await Sql(roles, $"alter role {role} connection limit -1");
                Assert.Equal(before, await LogState.Of(host, "full"));
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await Sql(roles, $"drop database if exists {database.Name} with (force)");
            await Sql(roles, $"drop role if exists {role}");
        }
    }

    private static async Task Sql(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A viewer's read that waits in the database on a table lock another session holds, keeping its connection, until released.</summary>
    private sealed class StuckReader(NpgsqlConnection locker, NpgsqlTransaction transaction, HttpClient client, Task<HttpResponseMessage> read) : IAsyncDisposable
    {
        public static async Task<StuckReader> Hold(TestDatabase database, ControlPlaneHost host, string policy)
        {
            var locker = new NpgsqlConnection(database.ConnectionString);
            await locker.OpenAsync();
            var transaction = await locker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("lock table lethe.mt_doc_policy in access exclusive mode", locker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }
            var client = host.Client(ControlPlaneHost.ViewerToken);
            var stuck = new StuckReader(locker, transaction, client, client.GetAsync($"/policies/{policy}"));
            Assert.True(await Eventually.Holds(async () =>
                await database.Count($"select count(*) from pg_stat_activity where datname = '{database.Name}' and wait_event_type = 'Lock'") == 1));
            return stuck;
        }

        /// <summary>Lets the read go on and says how it was answered.</summary>
        public async Task<HttpStatusCode> Release()
        {
            await transaction.RollbackAsync();
            using var served = await read;
            return served.StatusCode;
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await locker.DisposeAsync();
            client.Dispose();
        }
    }
}
