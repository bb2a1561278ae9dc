using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Lethe.Infrastructure.Migrations;

/// <summary>
/// Applies the checked-in `migrations/NNNN_name.sql` files in name order, each once, each in its
/// own transaction, recording what ran, and the SHA-256 of what ran, in public.lethe_migrations.
/// </summary>
public static class MigrationRunner
{
    /// <summary>The files `migrations/` holds in this build, in order (a test holds the two equal).</summary>
    public static readonly IReadOnlyList<string> Shipped = ["0001_initial.sql", "0002_policy_listing.sql"];

    /// <summary>The advisory lock every `lethe migrate` holds while it runs: "lethemig" in ASCII.</summary>
    private const long LockKey = 0x6C6574_68656D6967;

    /// <exception cref="MigrationException">No migrations in the folder, a database that is not UTF8 or
    /// records migrations the folder lacks, an applied file changed since, or a file that failed.</exception>
    public static async Task<IReadOnlyList<string>> Apply(string connectionString, string directory, CancellationToken ct)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No migrations folder at {directory}.");
        }
        var files = Directory.GetFiles(directory, "*.sql").Where(f => !f.EndsWith(".drop.sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new MigrationException($"{directory} holds no migrations (NNNN_name.sql files): the wrong folder?");
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await RequireUtf8(connection, ct);
        // Replicas that each migrate at start run one after the other: the second finds the first's work done.
        await Execute(connection, null, $"select pg_advisory_lock({LockKey})", ct);
        var applied = new List<string>();
        try
        {
            await Execute(connection, null,
                "create table if not exists public.lethe_migrations (name text primary key, applied_at timestamptz not null default now()); " +
                "alter table public.lethe_migrations add column if not exists sha256 text", ct);
            var names = files.Select(f => Path.GetFileName(f)).ToHashSet(StringComparer.Ordinal);
            var unknown = (await Recorded(connection, ct)).Where(name => !names.Contains(name)).ToList();
            if (unknown.Count > 0)
            {
                throw new MigrationException($"the database records {string.Join(", ", unknown)}, which {directory} does not hold: " +
                    "a newer Lethe migrated it, and this one does not know its schema; run the newer one");
            }
            foreach (var file in files)
            {
                if (await ApplyOne(connection, file, applied, ct))
                {
                    applied.Add(Path.GetFileName(file));
                }
            }
            return applied;
        }
        finally
        {
            // Best effort: a lost connection (the error that matters) has released the lock with its session.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                try
                {
                    await Execute(connection, null, $"select pg_advisory_unlock({LockKey})", CancellationToken.None);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                }
            }
        }
    }

    /// <summary>
    /// What `lethe serve` checks at start: a UTF8 database, and (when `lethe migrate` made the schema)
    /// exactly the migrations this build ships, applied.
    /// </summary>
    /// <exception cref="MigrationException">Names what is wrong and what to run.</exception>
    public static async Task CheckApplied(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await RequireUtf8(connection, ct);
        await using (var exists = new NpgsqlCommand("select to_regclass('public.lethe_migrations') is not null", connection))
        {
            if (await exists.ExecuteScalarAsync(ct) is not true)
            {
                return; // not migrated, or made by Marten itself (Lethe:CreateSchema)
            }
        }
        var recorded = await Recorded(connection, ct);
        var unknown = recorded.Where(name => !Shipped.Contains(name, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new MigrationException($"the database records migration(s) {string.Join(", ", unknown)}, which this build does not have: " +
                "a newer Lethe migrated it; run that version");
        }
        var missing = Shipped.Where(name => !recorded.Contains(name, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            throw new MigrationException($"the database lacks migration(s) {string.Join(", ", missing)}: run `lethe migrate` against it first");
        }
    }

    /// <summary>Reasons, comments and names may hold any character; a database of another encoding refuses them at the first one.</summary>
    private static async Task RequireUtf8(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select current_setting('server_encoding')", connection);
        var encoding = (string?)await command.ExecuteScalarAsync(ct);
        if (!string.Equals(encoding, "UTF8", StringComparison.OrdinalIgnoreCase))
        {
            throw new MigrationException($"the database's encoding is {encoding}, and Lethe needs UTF8 " +
                "(reasons and comments may hold any character): create it with ENCODING 'UTF8' TEMPLATE template0");
        }
    }

    private static async Task<List<string>> Recorded(NpgsqlConnection connection, CancellationToken ct)
    {
        var names = new List<string>();
        await using var query = new NpgsqlCommand("select name from public.lethe_migrations order by name", connection);
        await using var reader = await query.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    private static async Task<bool> ApplyOne(NpgsqlConnection connection, string file, IReadOnlyList<string> appliedBefore, CancellationToken ct)
    {
        var name = Path.GetFileName(file);
        var sql = await File.ReadAllTextAsync(file, ct);
        // Hashed with LF line ends: the same file checked out on Windows (CRLF) is not a changed one.
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.Replace("\r\n", "\n", StringComparison.Ordinal))));
        await using var transaction = await connection.BeginTransactionAsync(ct);
        string? recorded;
        bool known;
        await using (var check = new NpgsqlCommand("select sha256 from public.lethe_migrations where name = @name", connection, transaction))
        {
            check.Parameters.AddWithValue("name", name);
            await using var reader = await check.ExecuteReaderAsync(ct);
            known = await reader.ReadAsync(ct);
            recorded = known && !reader.IsDBNull(0) ? reader.GetString(0) : null;
        }
        if (known)
        {
            if (recorded is not null && recorded != sha256)
            {
                throw new MigrationException(
                    $"{name} was changed after it was applied (sha256 {recorded} then, {sha256} now): a change to the schema goes in a new file");
            }
            if (recorded is null)
            {
                // Applied before hashes were kept: this is the text it is held to from now on.
                await Record(connection, transaction, "update public.lethe_migrations set sha256 = @sha256 where name = @name", name, sha256, ct);
                await transaction.CommitAsync(ct);
            }
            return false;
        }
        try
        {
            await Execute(connection, transaction, sql, ct);
            await Record(connection, transaction, "insert into public.lethe_migrations (name, sha256) values (@name, @sha256)", name, sha256, ct);
            await transaction.CommitAsync(ct);
        }
        catch (NpgsqlException e)
        {
            var before = appliedBefore.Count == 0 ? "nothing was applied before it in this run" : $"applied before it in this run: {string.Join(", ", appliedBefore)}";
            throw new MigrationException($"{name} failed and was not applied (each file is applied whole or not at all; {before}): {e.Message}", applyFailed: true, e);
        }
        return true;
    }

    private static async Task Record(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, string name, string sha256, CancellationToken ct)
    {
        await using var record = new NpgsqlCommand(sql, connection, transaction);
        record.Parameters.AddWithValue("name", name);
        record.Parameters.AddWithValue("sha256", sha256);
        await record.ExecuteNonQueryAsync(ct);
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
