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
}
