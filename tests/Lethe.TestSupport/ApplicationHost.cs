using Lethe.Application.Common;
using Lethe.Control.Server;
using Lethe.Infrastructure.Signing;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.TestSupport;

/// <summary>
/// The control plane's composition (mediator, validators, Marten over a fresh migrated database,
/// a real signing key) without the web server, with a clock the test moves by hand.
/// </summary>
public sealed class ApplicationHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _keyDir;

    private ApplicationHost(WebApplication app, TestDatabase database, string keyDir, ManualClock clock)
    {
        _app = app;
        Database = database;
        _keyDir = keyDir;
        Clock = clock;
    }

    public TestDatabase Database { get; }

    public ManualClock Clock { get; }

    public string PublicKeyPem => File.ReadAllText(Path.Combine(_keyDir, SigningKeyFiles.PublicKeyFile));

    /// <param name="services">Registrations after the control plane's own, which they may replace.</param>
    public static async Task<ApplicationHost> Start(Action<IServiceCollection>? services = null)
    {
        var database = await TestDatabase.Create();
        var keyDir = Path.Combine(Path.GetTempPath(), "lethe-app-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            SigningKeyFiles.Generate(keyDir);
            var clock = new ManualClock(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
            var app = ControlPlane.Build([], ControlPlaneHost.Settings(database.ConnectionString, keyDir, 60),
                registrations =>
                {
                    registrations.AddSingleton<TimeProvider>(clock);
                    services?.Invoke(registrations);
                });
            return new ApplicationHost(app, database, keyDir, clock);
        }
        catch
        {
            // Never disposed when it fails to start: remove what was made.
            if (Directory.Exists(keyDir))
            {
                Directory.Delete(keyDir, recursive: true);
            }
            await database.DisposeAsync();
            throw;
        }
    }

    public async Task<T> Send<T>(ICommand<T> command, string actor = "tester")
    {
        await using var scope = Scope(actor, out var mediator);
        return await mediator.Send(command);
    }

    public async Task<T> Ask<T>(IQuery<T> query)
    {
        await using var scope = Scope("tester", out var mediator);
        return await mediator.Send(query);
    }

    public Task<long> EventCount() => Database.Count(TestDatabase.PolicyEventCount);

    public Task<long> SnapshotCount() => Database.Count("select count(*) from lethe.mt_doc_snapshotdocument");

    private AsyncServiceScope Scope(string actor, out IMediator mediator)
    {
        var scope = _app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Actor>().Name = actor;
        mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return scope;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(_keyDir, recursive: true);
    }
}
