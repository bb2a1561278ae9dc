namespace Lethe.EndToEnd.Tests;

/// <summary>Ctrl-C in a terminal stops the firewall as cleanly as a service manager's SIGTERM.</summary>
public sealed class StopSignalTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task sigint_stops_the_firewall_cleanly_with_exit_0()
    {
        await using var firewall = FirewallProcess.StartAsForegroundJob("boot", "--snapshot", policy.V1, "--trust", policy.PublicKey);
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(30));

        firewall.Signal("INT");

        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(15)));
        Assert.Contains("stopped; all state was in memory and is gone", firewall.Out);
    }
}
