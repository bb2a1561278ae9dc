using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>The real control plane over its own database, reaching PostgreSQL only through a <see cref="PgRelay"/> the test controls.</summary>
internal sealed class RelayedControlPlane(ControlPlaneHost host, PgRelay relay) : IAsyncDisposable
{
    public PgRelay Relay => relay;

    public static async Task<RelayedControlPlane> Start()
    {
        var database = await TestDatabase.Create();
        var direct = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var relay = new PgRelay(direct.Host!, direct.Port);
        try
        {
            var relayed = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = relay.Port, SslMode = SslMode.Disable };
            return new RelayedControlPlane(await ControlPlaneHost.Start(database, 3600, serverConnectionString: relayed.ConnectionString), relay);
        }
        catch
        {
            // A database handed to the host is not its to remove when it fails to start.
            await relay.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await database.DisposeAsync();
            throw;
        }
    }

    public HttpClient Client(string token = ControlPlaneHost.EditorToken) => host.Client(token);

    /// <summary>Runs `lethe ARGS` in-process against this server with the editor's token.</summary>
    public Task<CliRun> Cli(params string[] args) => host.Cli(args);

    public async ValueTask DisposeAsync()
    {
        // Up first: the host's shutdown may still talk to the database.
        Relay.Up();
        await host.Stop();
        await relay.DisposeAsync();
        // The pool still holds connections through the relay, which is gone.
        NpgsqlConnection.ClearAllPools();
        await host.DisposeAsync();
    }
}
