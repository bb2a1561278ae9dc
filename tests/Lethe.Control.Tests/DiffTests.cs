using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class DiffTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    /// <summary>Clients work, personal and vault published as version 1, then personal removed and added back, so it is last.</summary>
    private static async Task<(string V1, string V2)> PersonalMovedToTheEnd(HttpClient alice, string policy)
    {
        await alice.CreatePolicyWithWork(policy);
        await alice.AddClient(policy, "personal", "10.137.0.11");
        await alice.AddClient(policy, "vault", "10.137.0.12");
        var v1 = await alice.Publish(policy);
        await alice.Post($"/policies/{policy}/clients/personal/remove", new { reason = "re-add" }).Ok();
        await alice.AddClient(policy, "personal", "10.137.0.11");
        var v2 = await alice.Post($"/policies/{policy}/publish", new { reason = "same clients" }).Ok();
        return (v1["contentSha256"].Str(), v2["contentSha256"].Str());
    }

    [Fact]
    public async Task diff_between_two_versions_of_different_content_names_a_difference()
    {
        using var alice = Host.Client();

        var (v1, v2) = await PersonalMovedToTheEnd(alice, "audit-order");

        var diff = (await alice.GetAsync("/policies/audit-order/diff?from=1&to=2").Ok()).AsArray();
        Assert.NotEqual(v1, v2);
        var personal = Assert.Single(diff)!;
        Assert.Equal("personal", personal["client"].Str());
        Assert.Equal("unchanged", personal["status"].Str());
        Assert.Equal(1, personal["movedFrom"]!.GetValue<int>());
        Assert.Equal(2, personal["movedTo"]!.GetValue<int>());
    }

    [Fact]
    public async Task the_cli_diff_says_where_a_client_moved()
    {
        using var alice = Host.Client();
        await PersonalMovedToTheEnd(alice, "cli-order");

        var run = await Host.Ok("diff", "cli-order", "1", "2");

        Assert.Equal(["client personal", "  ~ moved 1 -> 2 among the clients"], run.Lines());
    }

    [Fact]
    public async Task diff_names_a_client_whose_addresses_changed_order_though_the_versions_differ_only_there()
    {
        using var alice = Host.Client();
        await alice.CreatePolicyWithWork("diff-address-order");
        await alice.AddClient("diff-address-order", "printer", "10.137.0.20", "10.137.0.21");
        var v1 = await alice.Publish("diff-address-order");
        await alice.Post("/policies/diff-address-order/clients/printer/remove", new { reason = "re-add" }).Ok();
        await alice.AddClient("diff-address-order", "printer", "10.137.0.21", "10.137.0.20");
        var v2 = await alice.Post("/policies/diff-address-order/publish", new { reason = "same printer" }).Ok();

        var run = await Host.Ok("diff", "diff-address-order", "1", "2");

        // The signed content (and so every firewall's version) changed: the addresses' order is part of it.
        Assert.NotEqual(v1["contentSha256"].Str(), v2["contentSha256"].Str());
        Assert.Equal(["client printer", "  ~ addresses reordered: 10.137.0.20, 10.137.0.21 -> 10.137.0.21, 10.137.0.20"],
            run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
