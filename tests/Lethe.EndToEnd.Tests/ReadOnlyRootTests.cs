using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>The firewall writes nothing, ever: run it where every mount is read-only.</summary>
public sealed class ReadOnlyRootTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task replay_runs_on_a_read_only_filesystem()
    {
        var capture = Captures.Write(Path.Combine(policy.Folder, "ro.pcap"), Captures.WorkDay());

        var (code, output, error) = await FirewallProcess.Run(true,
            "replay", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--pcap", capture, "--uplink-address", Captures.Uplink);

        Assert.True(code == 0, error);
        Assert.Equal(6, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task boot_watches_the_control_plane_and_swaps_to_a_new_version_on_a_read_only_filesystem()
    {
        await using var firewall = FirewallProcess.Start(true,
            "boot", "--snapshot", $"{policy.Host.Url}/policies/home/snapshots/latest", "--trust", policy.PublicKey,
            "--token", ControlPlaneHost.ViewerToken, "--watch-seconds", "0.2", "--uplink-address", Captures.Uplink);
        await firewall.WaitForOutput("booted policy home version 2", TimeSpan.FromSeconds(30));

        using var http = policy.Host.Client();
        await PublishedPolicy.Send(http, "/policies/home/rollback", new { toVersion = 1, reason = "back to https only" });
        await firewall.WaitForOutput("swapped to policy home version 3", TimeSpan.FromSeconds(30));
        firewall.Terminate();

        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(15)));
        Assert.Contains("stopped; all state was in memory", firewall.Out);
        Assert.DoesNotContain("Read-only file system", firewall.Err);
    }
}
