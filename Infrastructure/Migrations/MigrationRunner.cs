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
    /// <summary>The advisory lock every `lethe migrate` holds while it runs: "lethemig" in ASCII.</summary>
    private const long LockKey = 0x6C6574_68656D6967;

    /// <exception cref="MigrationException">No migrations in the folder, or an applied file was changed since.</exception>
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
        // Replicas that each migrate at start run one after the other: the second finds the first's work done.
        await Execute(connection, null, $"select pg_advisory_lock({LockKey})", ct);
        try
        {
            await Execute(connection, null,
                "create table if not exists public.lethe_migrations (name text primary key, applied_at timestamptz not null default now()); " +
                "alter table public.lethe_migrations add column if not exists sha256 text", ct);
            var applied = new List<string>();
            foreach (var file in files)
            {
                if (await ApplyOne(connection, file, ct))
                {
                    applied.Add(Path.GetFileName(file));
                }
            }
            return applied;
        }
        finally
        {
            await Execute(connection, null, $"select pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task<bool> ApplyOne(NpgsqlConnection connection, string file, CancellationToken ct)
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
        await Execute(connection, transaction, sql, ct);
        await Record(connection, transaction, "insert into public.lethe_migrations (name, sha256) values (@name, @sha256)", name, sha256, ct);
        await transaction.CommitAsync(ct);
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
