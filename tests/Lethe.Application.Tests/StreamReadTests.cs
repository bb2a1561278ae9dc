using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Lethe.Application.Publishing.RollBack;
using Lethe.Application.Rules.ReplaceRule;
using Lethe.TestSupport;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Application.Tests;

/// <summary>
/// A rollback, a commit-confirmed publish and the watchdog's revert each read the policy's event stream
/// once, where they read it twice (the version to restore was looked up in a second read of the whole
/// stream): at 50,000 events a rollback took 1.4 s.
/// </summary>
public sealed class StreamReadTests
{
    [Fact]
    public async Task a_rollback_reads_the_policys_event_stream_once()
    {
        var sql = new MartenSqlLog();
        await using var host = await ApplicationHost.Start(s => s.ConfigureMarten(o => o.Logger(sql)));
        var rule = await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "v1"));
        await host.Send(new ReplaceRule("home", rule, "action=drop", "closed"));
        await host.Send(new Publish("home", "v2"));

        sql.Commands.Clear();
        var rolledBack = await host.Send(new RollBack("home", 1, "back"));

        Assert.Equal(3, rolledBack.Version);
        Assert.Equal(1, sql.StreamReads);
    }

    [Fact]
    public async Task a_commit_confirmed_publish_and_its_revert_each_read_the_policys_event_stream_once()
    {
        var sql = new MartenSqlLog();
        await using var host = await ApplicationHost.Start(s => s.ConfigureMarten(o => o.Logger(sql)));
        var rule = await Seed.HomePolicy(host);
        await host.Send(new Publish("home", "v1"));
        await host.Send(new ReplaceRule("home", rule, "action=drop", "closed"));

        sql.Commands.Clear();
        await host.Send(new Publish("home", "v2", TimeSpan.FromMinutes(5)));
        var publishReads = sql.StreamReads;
        host.Clock.Advance(TimeSpan.FromMinutes(6));
        sql.Commands.Clear();
        var reverted = await host.Send(new RevertUnconfirmed("home"));

        Assert.Equal(1, publishReads);
        Assert.Equal(3, reverted!.Published!.Version);
        Assert.Equal(1, sql.StreamReads);
    }
}
