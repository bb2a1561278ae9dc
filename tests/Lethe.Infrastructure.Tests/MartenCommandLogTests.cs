using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Infrastructure.Marten;
using Lethe.TestSupport;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lethe.Infrastructure.Tests;

/// <summary>What the control plane's log says about Marten's commands, with the store wired as the server wires it.</summary>
public sealed class MartenCommandLogTests : IAsyncLifetime
{
    private readonly CapturedLog _log = new();
    private TestDatabase _database = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.Create();
        _services = new ServiceCollection()
            // Marten's own category at Warning, as lethe serve and appsettings.json set it: the lines below must survive that.
            .AddLogging(logging => logging.AddProvider(_log).SetMinimumLevel(LogLevel.Trace).AddFilter("Marten", LogLevel.Warning))
            .AddLetheInfrastructure(_database.ConnectionString, createSchema: false, signingKeyPath: "unused")
            .BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task a_write_that_lost_a_race_is_one_information_line_not_an_error()
    {
        var store = _services.GetRequiredService<IDocumentStore>();
        var audit = new AuditStamp("alice", "because", "corr");
        await using (var session = store.LightweightSession())
        {
            await new MartenPolicyStore(session).Create(new PolicyCreated("p"), audit, default);
        }
        await using (var first = store.LightweightSession())
        {
            await new MartenPolicyStore(first).Append("p", 1, [new ClientAdded("work", ["10.137.0.5"])], audit, null, default);
        }

        await using var second = store.LightweightSession();
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            new MartenPolicyStore(second).Append("p", 1, [new ClientAdded("home", ["10.137.0.6"])], audit, null, default));

        Assert.Empty(MartenEntries(LogLevel.Warning));
        var race = Assert.Single(MartenEntries(LogLevel.Information), e => e.Text.Contains("refused because what it read had moved on", StringComparison.Ordinal));
        Assert.Contains("409", race.Text);
        Assert.DoesNotContain("10.137.0.6", race.Text);
    }

    [Fact]
    public async Task any_other_failed_command_is_logged_once_as_an_error_with_its_sql()
    {
        var store = _services.GetRequiredService<IDocumentStore>();
        await using var session = store.LightweightSession();
        session.QueueSqlCommand("select 1 / (select count(*) from lethe.mt_events)::int");

        await Assert.ThrowsAnyAsync<Exception>(() => session.SaveChangesAsync());

        var error = Assert.Single(MartenEntries(LogLevel.Error));
        Assert.Contains("division by zero", error.Text);
        Assert.Contains("lethe.mt_events", error.Text);
    }

    private List<(LogLevel Level, string Category, string Text)> MartenEntries(LogLevel atLeast) =>
        _log.Entries.Where(e => e.Level >= atLeast && e.Category == typeof(MartenCommandLog).FullName).ToList();
}
