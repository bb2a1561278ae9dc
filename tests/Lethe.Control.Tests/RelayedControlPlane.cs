using System.Net.Http.Headers;
using Lethe.Control.Cli;
using Lethe.Control.Server;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;
using Lethe.TestSupport.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lethe.Control.Tests;

/// <summary>The real control plane over its own database, reaching PostgreSQL only through a <see cref="PgRelay"/> the test controls.</summary>
internal sealed class RelayedControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestDatabase _database;
    private readonly string _keyDir;

    private RelayedControlPlane(WebApplication app, TestDatabase database, PgRelay relay, string keyDir, string url)
    {
        _app = app;
        _database = database;
        Relay = relay;
        _keyDir = keyDir;
        Url = url;
    }

    public PgRelay Relay { get; }

    public string Url { get; }

    public static async Task<RelayedControlPlane> Start()
    {
        var database = await TestDatabase.Create();
        var direct = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var relay = new PgRelay(direct.Host!, direct.Port);
        var keyDir = Path.Combine(Path.GetTempPath(), "lethe-test-keys-" + Guid.NewGuid().ToString("N"));
        WebApplication? app = null;
        try
        {
            SigningKeyFiles.Generate(keyDir);
            var relayed = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Host = "127.0.0.1", Port = relay.Port, SslMode = SslMode.Disable };
            app = ControlPlane.Build([], ControlPlaneHost.Settings(relayed.ConnectionString, keyDir, 3600));
            await ControlPlane.CheckReady(app, CancellationToken.None);
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RelayedControlPlane(app, database, relay, keyDir, url);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            await relay.DisposeAsync();
            await Cleanup(database, keyDir);
            throw;
        }
    }

    public HttpClient Client(string token = ControlPlaneHost.EditorToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Runs `lethe ARGS` in-process against this server with the editor's token.</summary>
    public async Task<CliRun> Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create();
        var code = await LetheCli.Run([.. args, "--server", Url, "--token", ControlPlaneHost.EditorToken], output, error, new StringReader(""), () => http);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        // Up first: the host's shutdown may still talk to the database.
        Relay.Up();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Relay.DisposeAsync();
        await Cleanup(_database, _keyDir);
    }

    private static async Task Cleanup(TestDatabase database, string keyDir)
    {
        // The pool still holds connections through the relay, which is gone.
        NpgsqlConnection.ClearAllPools();
        await database.DisposeAsync();
        if (Directory.Exists(keyDir))
        {
            Directory.Delete(keyDir, recursive: true);
        }
    }
}
