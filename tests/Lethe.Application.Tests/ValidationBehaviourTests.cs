using FluentValidation;
using Lethe.Application.Clients.AddClient;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.ImportRules;

namespace Lethe.Application.Tests;

public sealed class ValidationBehaviourTests
{
    [Fact]
    public async Task a_rule_that_does_not_parse_is_refused_before_the_handler_naming_its_key_and_writes_nothing()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();

        var refused = await Assert.ThrowsAsync<ValidationException>(() =>
            host.Send(new AddRule("home", "work", "action=accept proto=udp icmptype=3", null, "bad")));

        Assert.Contains(refused.Errors, e => e.PropertyName == "rule.icmptype");
        Assert.Equal(before, await host.EventCount());
    }

    [Fact]
    public async Task a_change_without_a_reason_is_refused()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);

        var refused = await Assert.ThrowsAsync<ValidationException>(() =>
            host.Send(new AddClient("home", "guest", ["10.137.0.9"], "  ")));

        Assert.Contains(refused.Errors, e => e.PropertyName == "Reason");
    }

    [Fact]
    public async Task an_import_with_one_bad_line_names_that_line_and_imports_nothing()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();

        var refused = await Assert.ThrowsAsync<ValidationException>(() => host.Send(new ImportRules("home", "work",
            ["action=accept dst4=198.51.100.0/24", "# a comment line", "action=accept dsthost=a..b"], false, "move in")));

        Assert.Contains(refused.Errors, e => e.PropertyName == "line 3.dsthost" && e.ErrorMessage.StartsWith("line 3:"));
        Assert.Equal(before, await host.EventCount());
    }

    [Fact]
    public async Task an_import_of_a_wrong_file_names_its_first_hundred_bad_lines_and_counts_the_rest()
    {
        // A wrong file of 16 MiB holds millions of such lines; naming each made an answer of gigabytes.
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();
        var lines = Enumerable.Range(0, 250).Select(i => i % 2 == 0 ? "action=accept proto=tcp dstports=443" : "name,address,port").ToArray();

        var refused = await Assert.ThrowsAsync<ValidationException>(() => host.Send(new ImportRules("home", "work", lines, false, "wrong file")));

        var named = refused.Errors.Where(e => e.PropertyName.StartsWith("line ")).Select(e => e.PropertyName).ToArray();
        Assert.Equal(Enumerable.Range(0, ImportRulesValidator.MaxLinesNamed).Select(i => $"line {2 * i + 2}.rule"), named);
        var count = Assert.Single(refused.Errors, e => e.PropertyName == "lines");
        Assert.Equal("25 more line(s) are not rules either (125 in all; the first 100 are named).", count.ErrorMessage);
        Assert.Equal(before, await host.EventCount());
    }

    [Fact]
    public async Task an_import_of_more_rules_than_a_client_holds_is_refused_by_its_count_before_any_line_is_judged()
    {
        // A file of a million rules took the control plane 20 s and a gigabyte to refuse, once every line was parsed.
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();
        var lines = Enumerable.Repeat("action=accept proto=tcp dstports=443", 10_001).Append("not a rule").Append("# a comment").ToArray();

        var refused = await Assert.ThrowsAsync<ValidationException>(() => host.Send(new ImportRules("home", "work", lines, true, "the whole blocklist")));

        var error = Assert.Single(refused.Errors);
        Assert.Equal(("lines", "The import holds 10,002 rules; a client holds at most 10,000 (a firewall's tables for a client grow with the square of its rules), " +
            "so no version could hold them all: merge rules into networks."), (error.PropertyName, error.ErrorMessage));
        Assert.Equal(before, await host.EventCount());
    }

    [Fact]
    public async Task a_client_given_more_addresses_than_a_client_holds_is_told_so_once_not_once_per_address()
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();

        var refused = await Assert.ThrowsAsync<ValidationException>(() =>
            host.Send(new AddClient("home", "guest", Enumerable.Repeat("not-an-address", 100_000).ToArray(), "paste gone wrong")));

        var error = Assert.Single(refused.Errors);
        Assert.Equal("A client has at most 1024 addresses, not 100000: a network is a rule's dst4/dst6, not a client's addresses.", error.ErrorMessage);
        Assert.Equal(before, await host.EventCount());
    }

    [Theory]
    [InlineData("add")]
    [InlineData("import")]
    public async Task a_relative_expire_that_lands_after_the_latest_time_a_rule_may_name_is_refused_and_the_policy_still_publishes(string how)
    {
        await using var host = await ApplicationHost.Start();
        await Seed.HomePolicy(host);
        var before = await host.EventCount();
        const string far = "action=accept expire=+999999999999 proto=tcp dstports=22";

        var refused = await Assert.ThrowsAsync<ValidationException>(() => how == "add"
            ? host.Send(new AddRule("home", "work", far, null, "far"))
            : host.Send(new ImportRules("home", "work", [far], false, "far")));

        Assert.Contains(refused.Errors, e => e.PropertyName.EndsWith(".expire", StringComparison.Ordinal));
        Assert.Equal(before, await host.EventCount());
        Assert.Equal(1, (await host.Send(new Publish("home", "still sealable"))).Version);
    }
}
