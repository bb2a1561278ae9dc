using Lethe.Infrastructure.Migrations;
using Lethe.TestSupport;

namespace Lethe.Control.Tests;

/// <summary>What `lethe migrate` says when a migration cannot be applied, and what it leaves.</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lethe-migrate-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void CheckedInMigrationsAnd(params (string Name, string Sql)[] extra)
    {
        foreach (var file in Directory.GetFiles(RepositoryPaths.Migrations, "*.sql"))
        {
            File.Copy(file, Path.Combine(_folder, Path.GetFileName(file)));
        }
        foreach (var (name, sql) in extra)
        {
            File.WriteAllText(Path.Combine(_folder, name), sql);
        }
    }

    [Fact]
    public async Task a_connection_lost_in_the_middle_of_a_migration_is_one_error_line_naming_the_file()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        CheckedInMigrationsAnd(("0900_connection_drops.sql", "select pg_terminate_backend(pg_backend_pid());"));

        var run = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", _folder);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: migration failed: 0900_connection_drops.sql failed", run.Err);
        Assert.DoesNotContain("Unhandled exception", run.Err);
        Assert.Contains($"applied before it in this run: {string.Join(", ", MigrationRunner.Shipped)})", run.Err);
    }

    [Fact]
    public async Task a_failed_migration_names_its_file_and_the_files_applied_before_it()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        CheckedInMigrationsAnd(("0900_extra_table.sql", "create table lethe.extra (id int);"),
            ("0901_broken.sql", "alter table lethe.no_such_table add column x int;"));

        var run = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", _folder);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(MigrationRunner.Shipped.Count + 1, await database.Count("select count(*) from public.lethe_migrations"));
        Assert.Contains("0901_broken.sql failed and was not applied", run.Err);
        Assert.Contains($"applied before it in this run: {string.Join(", ", MigrationRunner.Shipped)}, 0900_extra_table.sql)", run.Err);
    }

    [Fact]
    public async Task a_database_a_newer_lethe_migrated_is_not_reported_up_to_date()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        await database.Execute("insert into public.lethe_migrations (name, sha256) values ('0002_from_a_newer_lethe.sql', 'ab')");

        var run = await OfflineCli.Run("", "migrate", "--connection", database.ConnectionString, "--migrations", RepositoryPaths.Migrations);

        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("up to date", run.Out);
        Assert.StartsWith("error: migration refused: the database records 0002_from_a_newer_lethe.sql", run.Err);
    }
}
