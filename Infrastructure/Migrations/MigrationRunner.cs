using Npgsql;

namespace Lethe.Infrastructure.Migrations;

/// <summary>
/// Applies the checked-in `migrations/NNNN_name.sql` files in name order, each once, each in its
/// own transaction, recording what ran in public.lethe_migrations.
/// </summary>
public static class MigrationRunner
{
    public static async Task<IReadOnlyList<string>> Apply(string connectionString, string directory, CancellationToken ct)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No migrations folder at {directory}.");
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using (var create = new NpgsqlCommand(
            "create table if not exists public.lethe_migrations (name text primary key, applied_at timestamptz not null default now())", connection))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var applied = new List<string>();
        foreach (var file in Directory.GetFiles(directory, "*.sql").Where(f => !f.EndsWith(".drop.sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var check = new NpgsqlCommand("select count(*) from public.lethe_migrations where name = @name", connection, transaction))
            {
                check.Parameters.AddWithValue("name", name);
                if ((long)(await check.ExecuteScalarAsync(ct))! > 0)
                {
                    continue;
                }
            }
            await using (var run = new NpgsqlCommand(await File.ReadAllTextAsync(file, ct), connection, transaction))
            {
                await run.ExecuteNonQueryAsync(ct);
            }
            await using (var record = new NpgsqlCommand("insert into public.lethe_migrations (name) values (@name)", connection, transaction))
            {
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(ct);
            }
            await transaction.CommitAsync(ct);
            applied.Add(name);
        }
        return applied;
    }
}
