using Lethe.Domain.Snapshots;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// `lethe-firewall nft` on policies of thousands of clients: the ruleset grows with the clients, not
/// with their square, and one that does not fit in the memory given is refused with a reason.
/// </summary>
public sealed class NftSizeTests
{
    /// <summary>Clients c0, c1, ... each with one address and a catch-all accept, which isolation applies to.</summary>
    private static SnapshotClient[] Clients(int count) =>
        Enumerable.Range(0, count)
            .Select(c => new SnapshotClient($"c{c}", [$"10.{137 + (c >> 14)}.{c >> 6 & 255}.{(c & 63) + 1}"], [new SnapshotRule($"r{c}", "action=accept")]))
            .ToArray();

    [Fact]
    public async Task nft_renders_3000_clients_that_each_accept_everything_in_a_ruleset_that_grows_with_the_clients_not_their_square()
    {
        using var sealedByHand = new HandSealed("lethe-nft-large-");
        var snapshot = sealedByHand.Write("large.json", 1, Clients(3_000));

        // 256 MiB: every catch-all accept listing the 2,999 other clients made 125 MB of text, twice that in memory.
        await using var firewall = FirewallProcess.StartWithVariable("DOTNET_GCHeapHardLimit", "0x10000000",
            "nft", "--snapshot", snapshot, "--trust", sealedByHand.PublicKey);
        var code = await firewall.Exit(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, firewall.Err[..Math.Min(firewall.Err.Length, 2_000)]);
        Assert.Contains("chain client_c2999 {", firewall.Out);
        Assert.InRange(firewall.Out.Length, 1, 3_000 * 1_500);
    }

    [Fact]
    public async Task nft_refuses_a_policy_whose_ruleset_does_not_fit_in_memory_with_a_reason_not_a_stack_trace()
    {
        using var sealedByHand = new HandSealed("lethe-nft-too-large-");
        var snapshot = sealedByHand.Write("large.json", 1, Clients(SnapshotLimits.MaxClients));

        // 160 MiB: the snapshot loads and verifies in less than 96, its ruleset (66 MB of text) needs more than 256.
        await using var firewall = FirewallProcess.StartWithVariable("DOTNET_GCHeapHardLimit", "0xA000000",
            "nft", "--snapshot", snapshot, "--trust", sealedByHand.PublicKey);
        var code = await firewall.Exit(TimeSpan.FromSeconds(120));

        Assert.StartsWith($"error: refusing the snapshot: policy home ({SnapshotLimits.MaxClients} clients, {SnapshotLimits.MaxClients} rules, at most 1 in one client) " +
            "does not fit, rendered as an nftables ruleset, in the memory this process may use (160 MiB)", firewall.Err);
        Assert.DoesNotContain("   at ", firewall.Err);
        Assert.Equal("", firewall.Out);
        Assert.Equal(1, code);
    }
}
