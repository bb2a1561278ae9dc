using FluentValidation;
using Lethe.Application.Behaviours;
using Lethe.Application.Common;
using Lethe.Application.Publishing;
using Lethe.Infrastructure;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Application.Tests;

/// <summary>
/// The application layer as the control plane composes it (mediator with the validation behaviour,
/// validators, Marten over a fresh migrated database, a real signing key), without ASP.NET Core,
/// with a clock the test moves by hand.
/// </summary>
public sealed class ApplicationHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _keyDir;

    private ApplicationHost(ServiceProvider services, TestDatabase database, string keyDir, ManualClock clock)
    {
        _services = services;
        Database = database;
        _keyDir = keyDir;
        Clock = clock;
    }

    public TestDatabase Database { get; }

    public ManualClock Clock { get; }

    public string PublicKeyPem => File.ReadAllText(Path.Combine(_keyDir, SigningKeyFiles.PublicKeyFile));

    /// <param name="services">Registrations after the application's own, which they may replace.</param>
    public static async Task<ApplicationHost> Start(Action<IServiceCollection>? services = null)
    {
        var database = await TestDatabase.Create();
        var keyDir = Path.Combine(Path.GetTempPath(), "lethe-app-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            SigningKeyFiles.Generate(keyDir);
            var clock = new ManualClock(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
            var registrations = new ServiceCollection();
            // What ControlPlane.Build registers for the application layer; a change there belongs here too.
            registrations.AddLetheInfrastructure(database.ConnectionString, createSchema: false,
                Path.Combine(keyDir, SigningKeyFiles.PrivateKeyFile));
            registrations.AddSingleton<TimeProvider>(clock);
            registrations.AddSingleton(new ControlPlaneOptions());
            registrations.AddScoped<Actor>();
            registrations.AddScoped<PolicyWriter>();
            registrations.AddScoped<Sealing>();
            registrations.AddSingleton<ConfirmationDeadlines>();
            registrations.AddMediator(options =>
            {
                options.ServiceLifetime = ServiceLifetime.Scoped;
                options.Assemblies = [typeof(PolicyWriter)];
                options.PipelineBehaviors = [typeof(ValidationBehaviour<,>)];
            });
            registrations.AddValidatorsFromAssemblyContaining<PolicyWriter>();
            services?.Invoke(registrations);
            return new ApplicationHost(registrations.BuildServiceProvider(validateScopes: true), database, keyDir, clock);
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
        var scope = _services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Actor>().Name = actor;
        mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return scope;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(_keyDir, recursive: true);
    }
}
