using Lethe.Domain.Snapshots;

namespace Lethe.EndToEnd.Tests;

/// <summary>A verified policy too large to compile in the memory the firewall may use is refused as such.</summary>
public sealed class PolicyMemoryTests
{
    [Fact]
    public async Task a_policy_too_large_for_the_memory_given_is_refused_naming_the_policy_not_max_flows()
    {
        using var sealedByHand = new HandSealed("lethe-large-");
        // Within every limit publish checks (clients, rules per client, file size), but a client's
        // tables grow with the square of its rules: these take about 15 MiB, and 65 MiB passes through.
        var rules = Enumerable.Range(0, SnapshotLimits.MaxRulesPerClient)
            .Select(i => new SnapshotRule($"r{i}", $"action=drop dst4=172.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"))
            .ToArray();
        var snapshot = sealedByHand.Write("large.json", 1, new SnapshotClient("work", ["10.137.0.5"], rules));
        Assert.Equal(0, (await FirewallProcess.Run(false, "verify", "--snapshot", snapshot, "--trust", sealedByHand.PublicKey)).Code);

        await using var firewall = FirewallProcess.StartWithVariable("DOTNET_GCHeapHardLimit", "0x2000000", // 32 MiB
            "boot", "--snapshot", snapshot, "--trust", sealedByHand.PublicKey, "--max-flows", "1");
        var code = await firewall.Exit(TimeSpan.FromSeconds(120));

        Assert.Equal(1, code);
        Assert.StartsWith($"error: refusing to boot: policy home (1 client, {SnapshotLimits.MaxRulesPerClient} rules, at most {SnapshotLimits.MaxRulesPerClient} in one client) " +
            "does not fit, compiled, in the memory this process may use (", firewall.Err);
        Assert.DoesNotContain("--max-flows", firewall.Err);
        Assert.DoesNotContain("booted", firewall.Out);
    }
}
