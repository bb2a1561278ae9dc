using Lethe.Control.Server;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>What `lethe serve` says when the database it is given is not ready for it.</summary>
public sealed class ServeStartTests
{
    [Fact]
    public async Task a_database_never_migrated_is_named_as_such_with_the_command_that_fixes_it()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        var keys = Directory.CreateTempSubdirectory("lethe-serve-keys-").FullName;
        try
        {
            SigningKeyFiles.Generate(keys);
            await using var app = ControlPlane.Build([], ControlPlaneHost.Settings(database.ConnectionString, keys, 1));

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlane.CheckReady(app, CancellationToken.None));

            Assert.Equal("the database has no Lethe schema yet: run `lethe migrate` against it first", refused.Message);
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    [Fact]
    public async Task an_address_not_of_this_host_is_one_error_line_not_a_stack_trace()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        var keys = Directory.CreateTempSubdirectory("lethe-serve-keys-").FullName;
        try
        {
            SigningKeyFiles.Generate(keys);
            var settings = ControlPlaneHost.Settings(database.ConnectionString, keys, 1);
            // TEST-NET-1: no host has it, so binding fails at once and nothing is sent anywhere.
            settings["Lethe:Urls"] = "http://192.0.2.77:5080";
            await using var app = ControlPlane.Build([], settings);
            var err = new StringWriter();

            var started = await Lethe.Control.Cli.ServerCommands.TryStart(app, err, CancellationToken.None);

            Assert.False(started);
            Assert.StartsWith("error: the control plane cannot start: Lethe:Urls (env Lethe__Urls, or --urls): ", err.ToString());
            Assert.Single(err.ToString().Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    [Fact]
    public async Task a_port_another_program_listens_on_is_named_with_its_setting()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        var keys = Directory.CreateTempSubdirectory("lethe-serve-keys-").FullName;
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        try
        {
            SigningKeyFiles.Generate(keys);
            var settings = ControlPlaneHost.Settings(database.ConnectionString, keys, 1);
            var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)holder.LocalEndpoint).Port}";
            settings["Lethe:Urls"] = url;
            await using var app = ControlPlane.Build([], settings);
            var err = new StringWriter();

            var started = await Lethe.Control.Cli.ServerCommands.TryStart(app, err, CancellationToken.None);

            Assert.False(started);
            Assert.Equal($"error: the control plane cannot start: Lethe:Urls (env Lethe__Urls, or --urls): Failed to bind to address {url}: address already in use " +
                "(another program listens there: a lethe serve already running? pick another port)", err.ToString().Trim());
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(";")]
    public void no_address_to_listen_on_is_refused_rather_than_kestrels_default_port(string urls)
    {
        // Neither the database nor the key is read before the address is checked.
        var settings = ControlPlaneHost.Settings("Host=127.0.0.1;Database=unused", "/nonexistent", 1);
        settings["Lethe:Urls"] = urls;

        var refused = Assert.Throws<InvalidOperationException>(() => ControlPlane.Build([], settings));

        Assert.Equal("Lethe:Urls (env Lethe__Urls, or --urls) is empty: give where to listen, such as http://127.0.0.1:5080", refused.Message);
    }

    [Fact]
    public async Task a_database_a_newer_lethe_migrated_is_refused_naming_the_migration_it_does_not_know()
    {
        await using var database = await TestDatabase.Create(migrate: true);
        await database.Execute("insert into public.lethe_migrations (name, sha256) values ('0002_from_a_newer_lethe.sql', 'ab')");

        var refused = await Refusal(database.ConnectionString);

        Assert.Contains("0002_from_a_newer_lethe.sql, which this build does not have", refused.Message);
    }

    [Fact]
    public async Task create_schema_where_the_role_may_not_create_it_is_refused_in_one_line()
    {
        await using var database = await TestDatabase.Create(migrate: false);
        var role = "lethe_nodll_" + Guid.NewGuid().ToString("N")[..8];
        await database.Execute($"create role {role} login password 'pw'");
        try
        {
            var limited = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role, Password = "pw" }.ConnectionString;

            var refused = await Refusal(limited, createSchema: true);

            Assert.StartsWith("Lethe:CreateSchema could not create the schema: 42501: permission denied", refused.Message);
            Assert.DoesNotContain("\n", refused.Message.Trim());
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await database.Execute($"drop owned by {role}; drop role if exists {role}");
        }
    }

    private static async Task<InvalidOperationException> Refusal(string connectionString, bool createSchema = false)
    {
        var keys = Directory.CreateTempSubdirectory("lethe-serve-keys-").FullName;
        try
        {
            SigningKeyFiles.Generate(keys);
            var settings = ControlPlaneHost.Settings(connectionString, keys, 1);
            settings["Lethe:CreateSchema"] = createSchema ? "true" : "false";
            await using var app = ControlPlane.Build([], settings);
            return await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlane.CheckReady(app, CancellationToken.None));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }
}
