using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using static Lethe.Domain.Tests.Models;

namespace Lethe.Domain.Tests;

public class ClientIsolationTests
{
    private const string Vault = "10.137.0.20";
    private const string VaultV6 = "fd00:137::20";

    private static PolicyModel WorkAndVault(params string[] workRules) =>
        Build(("work", ["10.137.0.10"], workRules), ("vault", [Vault, VaultV6], ["action=accept"]));

    [Theory]
    [InlineData("action=accept")]
    [InlineData("action=accept proto=tcp")]
    [InlineData("action=accept proto=tcp dstports=22")]
    public void an_accept_without_dst4_or_dst6_does_not_open_another_client(string rule)
    {
        var policy = WorkAndVault(rule);

        var decision = Evaluate(policy, Tcp(Vault, 22));

        Assert.Equal(RuleAction.Drop, decision.Action);
        Assert.Null(decision.RuleId);
        Assert.Contains("vault", decision.Reason);
        Assert.False(Evaluate(policy, Tcp(VaultV6, 22)).Accepts);
        Assert.True(Evaluate(policy, Tcp("198.51.100.1", 22)).Accepts);
    }

    [Theory]
    [InlineData("action=accept dst4=10.137.0.20")]
    [InlineData("action=accept dst4=10.137.0.0/16 proto=tcp")]
    [InlineData("action=accept dst4=0.0.0.0/0")]
    [InlineData("action=accept dsthost=10.137.0.20 proto=tcp dstports=22")]
    public void an_accept_whose_dst4_covers_the_other_client_opens_it(string rule) =>
        Assert.Equal(new Decision(RuleAction.Accept, "r1", "rule"), Evaluate(WorkAndVault(rule), Tcp(Vault, 22)));

    [Fact]
    public void an_accept_whose_dst6_covers_the_other_client_opens_it() =>
        Assert.True(Evaluate(WorkAndVault("action=accept dst6=fd00:137::/64"), Tcp(VaultV6, 22)).Accepts);

    [Fact]
    public void an_accept_by_dsthost_resolving_to_the_other_client_does_not_open_it()
    {
        var resolved = new Dictionary<string, IReadOnlyList<System.Net.IPAddress>> { ["vault.lan"] = [System.Net.IPAddress.Parse(Vault)] };

        Assert.False(Evaluate(WorkAndVault("action=accept dsthost=vault.lan"), Tcp(Vault, 22), Environment(resolved: resolved)).Accepts);
    }

    [Fact]
    public void a_skipped_catch_all_lets_a_later_explicit_rule_open_the_other_client()
    {
        var policy = WorkAndVault("action=accept", "action=accept dst4=10.137.0.20 proto=tcp dstports=22");

        Assert.Equal("r2", Evaluate(policy, Tcp(Vault, 22)).RuleId);
        Assert.Null(Evaluate(policy, Tcp(Vault, 80)).RuleId);
    }

    [Theory]
    [InlineData("action=drop")]
    [InlineData("action=drop dst4=10.137.0.20")]
    [InlineData("action=drop proto=tcp")]
    public void a_drop_towards_another_client_still_drops_by_that_rule(string rule)
    {
        var decision = Evaluate(WorkAndVault(rule, "action=accept dst4=10.137.0.0/16"), Tcp(Vault, 22));

        Assert.Equal(new Decision(RuleAction.Drop, "r1", "rule"), decision);
    }

    [Fact]
    public void traffic_is_judged_by_the_senders_rules_not_the_receivers()
    {
        var policy = WorkAndVault("action=accept dst4=10.137.0.20");

        Assert.True(Evaluate(policy, Tcp(Vault, 22), client: "work").Accepts);
        Assert.False(Evaluate(policy, Tcp("10.137.0.10", 22), client: "vault").Accepts);
    }

    [Fact]
    public void a_model_copied_with_other_clients_isolates_by_its_own_clients()
    {
        var policy = WorkAndVault("action=accept");
        Assert.False(Evaluate(policy, Tcp(Vault, 22)).Accepts); // looked up once, in the original's clients

        var withoutVault = policy with { Clients = [policy.FindClient("work")!] };

        Assert.True(Evaluate(withoutVault, Tcp(Vault, 22)).Accepts);
        Assert.Null(withoutVault.FindClient("vault"));
        Assert.False(Evaluate(policy, Tcp(Vault, 22)).Accepts);
    }

    [Fact]
    public void the_first_other_client_listing_an_address_is_the_one_named()
    {
        var policy = Build(("work", ["10.137.0.10"], ["action=accept"]), ("vault", [Vault], []), ("backup", [Vault], []));

        Assert.Contains("vault", Evaluate(policy, Tcp(Vault, 22)).Reason);
        Assert.Contains("backup", Evaluate(policy, Tcp(Vault, 22), client: "vault").Reason);
        Assert.Contains("vault", Evaluate(policy, Tcp(Vault, 22), client: "backup").Reason);
    }
}
