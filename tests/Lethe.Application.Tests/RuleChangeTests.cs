using Lethe.Application.Common;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.ImportRules;
using Lethe.Application.Rules.MoveRule;
using Lethe.Domain;

namespace Lethe.Application.Tests;

public sealed class RuleChangeTests
{
    [Fact]
    public async Task a_relative_expire_is_stored_as_an_absolute_time_from_the_control_planes_clock()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);

        var added = await host.Send(new AddRule("home", "work", "action=accept expire=+3600 proto=icmp", null, "temporary ping"));

        Assert.Equal($"action=accept expire={host.Clock.GetUtcNow().ToUnixTimeSeconds() + 3600} proto=icmp", added.Rule);
    }

    [Fact]
    public async Task an_import_adds_all_rules_in_file_order_as_one_change()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();

        var imported = await host.Send(new ImportRules("home", "personal",
            ["action=accept dst4=198.51.100.7 proto=tcp dstports=22-22", "", "action=drop proto=udp", "action=accept"], false, "from qvm-firewall"));

        var policy = await host.Ask(new GetPolicy("home"));
        var personal = policy.Draft.FindClient("personal")!;
        Assert.Equal(imported.Ids, personal.Rules.Select(r => r.Id));
        Assert.Equal("action=accept dst4=198.51.100.7/32 proto=tcp dstports=22-22", personal.Rules[0].Rule);
        Assert.Equal(before + 1, await host.EventCount());
    }

    [Fact]
    public async Task a_stale_expected_version_is_refused_naming_the_current_one_and_writes_nothing()
    {
        await using var host = await ApplicationHost.Start();
        var ruleId = await Seed.HomePolicy(host);
        var version = (await host.Ask(new GetPolicy("home"))).Version;
        await host.Send(new AddRule("home", "work", "action=drop proto=udp", null, "someone else", version));
        var before = await host.EventCount();

        // Not a lost race: the version named was behind before the move was read.
        var stale = await Assert.ThrowsAsync<StaleVersionException>(() => host.Send(new MoveRule("home", ruleId, 1, "stale", version)));

        Assert.Equal((version, version + 1), (stale.Named, stale.Current));

        Assert.Equal(before, await host.EventCount());
        Assert.Equal(ruleId, (await host.Ask(new GetPolicy("home"))).Draft.FindClient("work")!.Rules[0].Id);
    }

    [Fact]
    public async Task moving_a_rule_past_the_end_is_refused_with_the_positions_that_exist()
    {
        await using var host = await ApplicationHost.Start();
        var ruleId = await Seed.HomePolicy(host);

        var refused = await Assert.ThrowsAsync<DomainException>(() => host.Send(new MoveRule("home", ruleId, 5, "too far")));

        Assert.Equal(Refusal.Unprocessable, refused.Refusal);
        Assert.Contains("has 1 rule (position 0)", refused.Message);
    }
}
