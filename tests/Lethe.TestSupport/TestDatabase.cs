using Lethe.Infrastructure.Migrations;
using Npgsql;

namespace Lethe.TestSupport;

/// <summary>
/// A fresh database on the PostgreSQL server that scripts/test started, with the checked-in
/// migrations applied exactly as `lethe migrate` applies them; dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _server;

    private TestDatabase(string server, string name, string connectionString)
    {
        _server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    /// <summary>
    /// Counts the events of every policy stream. For some failed appends Marten writes a tombstone
    /// into its own mt_tombstone stream; that is not a policy change, so it is left out.
    /// </summary>
    public const string PolicyEventCount = "select count(*) from lethe.mt_events where stream_id <> 'mt_tombstone'";

    public string ConnectionString { get; }

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("ConnectionStrings__Lethe") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "These tests need PostgreSQL: run them with scripts/test, which starts a throwaway cluster, or set ConnectionStrings__Lethe.");

    /// <param name="icuLocale">
    /// A collation for the database's text (<c>en-US</c>), as a server set up for its users' language has;
    /// the throwaway cluster's own is C, which orders text as .NET's ordinal comparison does.
    /// </param>
    public static async Task<TestDatabase> Create(bool migrate = true, string? icuLocale = null)
    {
        var server = ServerConnectionString;
        var name = "lethe_t_" + Guid.NewGuid().ToString("N")[..12];
        var collation = icuLocale is null ? "" : $" template template0 locale_provider icu icu_locale '{icuLocale}'";
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}{collation}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        var database = new TestDatabase(server, name, cs);
        if (migrate)
        {
            try
            {
                await MigrationRunner.Apply(cs, RepositoryPaths.Migrations, CancellationToken.None);
            }
            catch
            {
                await database.DisposeAsync();
                throw;
            }
        }
        return database;
    }

    public async Task<long> Count(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>For a test that plays someone changing the database behind Lethe's back.</summary>
    public async Task Execute(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists {Name} with (force)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
