using Lethe.Infrastructure.Marten;
using Lethe.Infrastructure.Migrations;
using Lethe.TestSupport;
using Marten;

namespace Lethe.Infrastructure.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task the_checked_in_migrations_create_exactly_the_schema_the_code_needs()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        using var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false));

        // Throws, listing the differences, when a projection, document or event option changed
        // without a new file in migrations/ (regenerate with `lethe migrate schema-script`).
        await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }

    [Fact]
    public async Task a_database_without_the_migrations_does_not_match_so_the_check_above_can_fail()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        using var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false));

        var mismatch = await Assert.ThrowsAnyAsync<Exception>(() => store.Storage.Database.AssertDatabaseMatchesConfigurationAsync());

        // Not any failure: the check names what the configuration wants and the database lacks.
        Assert.Contains("mt_events", mismatch.ToString());
    }

    [Fact]
    public void the_migrations_the_build_ships_are_the_files_in_the_folder()
    {
        var files = Directory.GetFiles(RepositoryPaths.Migrations, "*.sql").Select(Path.GetFileName).Where(n => !n!.EndsWith(".drop.sql", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

        Assert.Equal(files, MigrationRunner.Shipped);
    }

    [Fact]
    public async Task a_database_holding_policies_from_before_the_policy_listing_lists_them_once_migrated()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        var audit = new Application.Ports.AuditStamp("alice", "because", "corr");
        using (var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false)))
        {
            await using var session = store.LightweightSession();
            var policies = new MartenPolicyStore(session);
            await policies.Create(new Domain.Policies.PolicyCreated("web"), audit, default);
            await policies.Append("web", 1, [
                new Domain.Policies.ClientAdded("work", ["10.137.0.5"]), new Domain.Policies.ClientAdded("play", ["10.137.0.6"]),
                new Domain.Policies.RulesImported("work", false, [new("r-1", "action=accept"), new("r-2", "action=drop")]),
                new Domain.Policies.RuleAdded("play", "r-3", "action=drop", 0),
                new Domain.Policies.PolicyPublished(1, "sha-1", 5, null),
                new Domain.Policies.PolicyPublished(2, "sha-2", 6, DateTimeOffset.UtcNow.AddMinutes(5)),
            ], audit, null, default);
            await policies.Create(new Domain.Policies.PolicyCreated("empty"), audit, default);
        }
        // What 0001_initial.sql made and a Lethe of its time filled: the drafts, and no listing of them.
        await database.Execute($"drop table lethe.mt_doc_policylisting; delete from public.lethe_migrations where name = '{PolicyListingMigration}'");

        var applied = await MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None);

        Assert.Equal([PolicyListingMigration], applied);
        using (var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false)))
        {
            await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
            await using var session = store.LightweightSession();
            var policies = new MartenPolicyStore(session);
            Assert.Equal([new("empty", 1, 0, 0, 0, null), new Application.Ports.PolicySummary("web", 7, 2, 3, 2, 2)], await policies.List(default));

            // The listings it wrote are Marten's own documents: the next change keeps them.
            await policies.Append("web", 7, [new Domain.Policies.RuleRemoved("work", "r-1", "action=accept")], audit, null, default);
            Assert.Equal(new Application.Ports.PolicySummary("web", 8, 2, 2, 2, 2), (await policies.List(default))[1]);
        }
    }

    private const string PolicyListingMigration = "0002_policy_listing.sql";

    [Fact]
    public async Task a_database_that_cannot_hold_every_character_is_refused_before_anything_is_applied()
    {
        var name = "lethe_t_ascii_" + Guid.NewGuid().ToString("N")[..8];
        await using (var server = new Npgsql.NpgsqlConnection(TestDatabase.ServerConnectionString))
        {
            await server.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"create database {name} encoding 'SQL_ASCII' lc_collate 'C' lc_ctype 'C' template template0", server);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString) { Database = name }.ConnectionString;
        try
        {
            var refused = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.Apply(connectionString, RepositoryPaths.Migrations, CancellationToken.None));

            Assert.Equal("the database's encoding is SQL_ASCII, and Lethe needs UTF8 (reasons and comments may hold any character): " +
                "create it with ENCODING 'UTF8' TEMPLATE template0", refused.Message);
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var tables = new Npgsql.NpgsqlCommand("select count(*) from pg_tables where schemaname in ('public', 'lethe')", connection);
            Assert.Equal(0L, await tables.ExecuteScalarAsync());
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var server = new Npgsql.NpgsqlConnection(TestDatabase.ServerConnectionString);
            await server.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"drop database if exists {name} with (force)", server);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task applying_the_migrations_twice_applies_each_file_once()
    {
        await using var database = await TestDatabase.Create(migrate: false);

        var first = await MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None);
        var second = await MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None);

        Assert.Contains("0001_initial.sql", first);
        Assert.Empty(second);
        Assert.Equal(first.Count, await database.Count("select count(*) from public.lethe_migrations"));
    }

    [Fact]
    public async Task two_migrations_started_at_once_both_succeed_and_the_files_run_once()
    {
        await using var database = await TestDatabase.Create(migrate: false);

        var runs = await Task.WhenAll(
            MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None),
            MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None));

        Assert.Equal(["0001_initial.sql"], runs.SelectMany(r => r).Where(n => n == "0001_initial.sql"));
        Assert.Equal(runs[0].Count + runs[1].Count, await database.Count("select count(*) from public.lethe_migrations"));
    }

    [Fact]
    public async Task a_migration_changed_after_it_was_applied_is_refused_naming_it()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        var folder = Directory.CreateTempSubdirectory("lethe-migrations-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepositoryPaths.Migrations, "*.sql"))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }
            await MigrationRunner.Apply(database.ConnectionString, folder, CancellationToken.None);
            await File.AppendAllTextAsync(Path.Combine(folder, "0001_initial.sql"), "\nALTER TABLE lethe.mt_streams ADD COLUMN IF NOT EXISTS sneaked text;\n");

            var refused = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.Apply(database.ConnectionString, folder, CancellationToken.None));

            Assert.StartsWith("0001_initial.sql was changed after it was applied", refused.Message);
            Assert.Equal(0, await database.Count("select count(*) from information_schema.columns where column_name = 'sneaked'"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task the_same_migrations_checked_out_with_crlf_line_ends_are_not_changed_files()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        await MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None);
        var folder = Directory.CreateTempSubdirectory("lethe-crlf-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepositoryPaths.Migrations, "*.sql"))
            {
                var text = (await File.ReadAllTextAsync(file)).Replace("\r\n", "\n").Replace("\n", "\r\n");
                await File.WriteAllTextAsync(Path.Combine(folder, Path.GetFileName(file)), text);
            }

            Assert.Empty(await MigrationRunner.Apply(database.ConnectionString, folder, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task a_folder_without_migrations_is_refused()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        var folder = Directory.CreateTempSubdirectory("lethe-no-migrations-").FullName;
        try
        {
            var refused = await Assert.ThrowsAsync<MigrationException>(() => MigrationRunner.Apply(database.ConnectionString, folder, CancellationToken.None));

            Assert.Contains("holds no migrations", refused.Message);
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public async Task a_database_whose_schema_the_store_made_itself_is_adopted_by_the_migrations()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        using (var developer = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: true)))
        {
            await developer.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        }

        var applied = await MigrationRunner.Apply(database.ConnectionString, RepositoryPaths.Migrations, CancellationToken.None);

        Assert.Contains("0001_initial.sql", applied);
        using var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false));
        await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }

    [Fact]
    public async Task the_production_store_creates_no_schema_objects_of_its_own()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        using var store = DocumentStore.For(o => LetheStoreOptions.Configure(o, database.ConnectionString, createSchema: false));

        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream("p", new Domain.Policies.PolicyCreated("p"));
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => session.SaveChangesAsync());
            // The store found no schema of its own (invalid_schema_name, 3F000), rather than making one.
            var postgres = Assert.IsType<Npgsql.PostgresException>(refused.InnerException);
            Assert.Equal("3F000", postgres.SqlState);
        }

        Assert.Equal(0, await database.Count("select count(*) from information_schema.tables where table_schema = 'lethe'"));
    }
}
