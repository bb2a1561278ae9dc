using System.Net.Http.Headers;
using Lethe.Control.Cli;
using Lethe.Control.Server;
using Lethe.Infrastructure.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.TestSupport.Host;

/// <summary>
/// The real control plane on a free loopback port, over its own migrated database and a fresh
/// signing key, with one token per role.
/// </summary>
public sealed class ControlPlaneHost : IAsyncDisposable
{
    public const string AdminToken = "admin-token";
    public const string EditorToken = "editor-token";
    public const string OtherEditorToken = "other-editor-token";
    public const string ViewerToken = "viewer-token";

    private readonly string _keyDir;

    private ControlPlaneHost(WebApplication app, TestDatabase database, string keyDir, string url)
    {
        App = app;
        Database = database;
        _keyDir = keyDir;
        Url = url;
    }

    public WebApplication App { get; }

    public TestDatabase Database { get; }

    public string Url { get; }

    public string PublicKeyPath => Path.Combine(_keyDir, SigningKeyFiles.PublicKeyFile);

    /// <param name="serverConnectionString">How the server reaches the database, where that is not how the test does (through a relay it cuts).</param>
    public static async Task<ControlPlaneHost> Start(TestDatabase? database = null, double confirmCheckSeconds = 0.2, string? keyDir = null,
        string? serverConnectionString = null)
    {
        var ownDatabase = database is null;
        database ??= await TestDatabase.Create();
        var ownKeys = keyDir is null;
        keyDir ??= Path.Combine(Path.GetTempPath(), "lethe-test-keys-" + Guid.NewGuid().ToString("N"));
        WebApplication? app = null;
        try
        {
            if (ownKeys)
            {
                SigningKeyFiles.Generate(keyDir);
            }
            app = ControlPlane.Build([], Settings(serverConnectionString ?? database.ConnectionString, keyDir, confirmCheckSeconds));
            await ControlPlane.CheckReady(app, CancellationToken.None);
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ControlPlaneHost(app, database, keyDir, url);
        }
        catch
        {
            // A fixture that fails to start is never disposed: what it made so far goes here.
            if (app is not null)
            {
                await app.DisposeAsync();
            }
            if (ownKeys && Directory.Exists(keyDir))
            {
                Directory.Delete(keyDir, recursive: true);
            }
            if (ownDatabase)
            {
                await database.DisposeAsync();
            }
            throw;
        }
    }

    public static Dictionary<string, string?> Settings(string connectionString, string keyDir, double confirmCheckSeconds) => new()
    {
        ["ConnectionStrings:Lethe"] = connectionString,
        ["Lethe:Urls"] = "http://127.0.0.1:0",
        ["Lethe:SigningKey"] = Path.Combine(keyDir, SigningKeyFiles.PrivateKeyFile),
        ["Lethe:ConfirmCheckSeconds"] = confirmCheckSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lethe:Tokens:0:Token"] = AdminToken, ["Lethe:Tokens:0:Actor"] = "root-admin", ["Lethe:Tokens:0:Role"] = "admin",
        ["Lethe:Tokens:1:Token"] = EditorToken, ["Lethe:Tokens:1:Actor"] = "alice", ["Lethe:Tokens:1:Role"] = "editor",
        ["Lethe:Tokens:2:Token"] = OtherEditorToken, ["Lethe:Tokens:2:Actor"] = "carol", ["Lethe:Tokens:2:Role"] = "editor",
        ["Lethe:Tokens:3:Token"] = ViewerToken, ["Lethe:Tokens:3:Actor"] = "bob", ["Lethe:Tokens:3:Role"] = "viewer",
    };

    public HttpClient Client(string? token = EditorToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>Runs `lethe ARGS` in-process against this server; returns exit code, stdout and stderr.</summary>
    public async Task<CliRun> Cli(params string[] args) => await CliWith(EditorToken, "", args);

    public async Task<CliRun> CliWith(string? token, string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = new List<string>(args) { "--server", Url };
        if (token is not null)
        {
            all.AddRange(["--token", token]);
        }
        using var http = ApiHttp.Create();
        var code = await LetheCli.Run(all.ToArray(), output, error, new StringReader(stdin), () => http);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public string KeyDirectory => _keyDir;

    /// <summary>Stops the server but keeps its database and key, as a crash or a restart would.</summary>
    public async Task Stop()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
        }
        await Database.DisposeAsync();
        if (Directory.Exists(_keyDir))
        {
            Directory.Delete(_keyDir, recursive: true);
        }
    }
}

public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public string Line => Out.Trim();
}
