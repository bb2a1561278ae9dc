using Lethe.Control.Server;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;

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
            Assert.StartsWith("error: the control plane cannot start: ", err.ToString());
            Assert.Single(err.ToString().Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }
}
