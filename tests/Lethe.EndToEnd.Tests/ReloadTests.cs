using Lethe.Domain.Snapshots;

namespace Lethe.EndToEnd.Tests;

/// <summary>SIGHUP re-reads the snapshot file boot started from: a newer verified version is swapped in, anything else is refused.</summary>
public sealed class ReloadTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task sighup_swaps_in_a_newer_snapshot_and_refuses_a_tampered_or_relabelled_one_while_running_on()
    {
        var file = Path.Combine(policy.Folder, $"reload-{Guid.NewGuid():N}.json");
        File.Copy(policy.V1, file);
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", file, "--trust", policy.PublicKey);
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(10));

        var text = await File.ReadAllTextAsync(policy.V2);
        var content = text.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        await File.WriteAllTextAsync(file, text[..content] + (text[content] == 'A' ? 'B' : 'A') + text[(content + 1)..]);
        firewall.Signal("HUP");
        await firewall.WaitForError("reload: refusing the snapshot", TimeSpan.FromSeconds(10));

        File.Copy(policy.V2, file, overwrite: true);
        firewall.Signal("HUP");
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(10));

        firewall.Signal("HUP");
        await firewall.WaitForOutput("keeping version 2: version 2 is not newer", TimeSpan.FromSeconds(10));

        // Version 1 allowed less; relabelled as version 7 it must not pass for a newer policy.
        var relabelled = (await File.ReadAllTextAsync(policy.V1)).Replace("\"version\":1,", "\"version\":7,", StringComparison.Ordinal);
        Assert.Contains("\"version\":7,", relabelled);
        await File.WriteAllTextAsync(file, relabelled);
        firewall.Signal("HUP");
        await firewall.WaitForError("signature does not verify", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("version 7", firewall.Out);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
        Assert.Contains("stopped; all state was in memory and is gone", firewall.Out);
    }

    [Fact]
    public async Task boot_under_nohup_warns_that_sighup_cannot_reload()
    {
        // The runtime leaves a signal ignored at start ignored: under nohup a SIGHUP did nothing, and said nothing.
        await using var firewall = FirewallProcess.StartWithHangUp(true, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey);
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(30));
        await firewall.WaitForError("warning: SIGHUP is ignored by this process (started under nohup?), so it cannot re-read --snapshot", TimeSpan.FromSeconds(10));

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task boot_with_sighup_at_its_default_does_not_warn_of_it()
    {
        await using var firewall = FirewallProcess.StartWithHangUp(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey);
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(30));

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("SIGHUP is ignored", firewall.Err);
    }

    [Fact]
    public async Task a_reload_refuses_a_version_giving_a_client_the_firewalls_uplink_address_as_boot_would()
    {
        // The control plane cannot know --uplink-address: a version may give a client that address,
        // which no one could then reach, and which boot would refuse after the next restart.
        using var sealedByHand = new HandSealed("lethe-uplink-");
        var publicPath = sealedByHand.PublicKey;
        var work = new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept")]);
        var live = Path.Combine(sealedByHand.Folder, "live.json");
        File.Copy(sealedByHand.Write("v1.json", 1, work), live);
        var v2 = sealedByHand.Write("v2.json", 2, work, new SnapshotClient("lab", ["198.51.100.2"], [new SnapshotRule("r-2", "action=accept")]));
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", live, "--trust", publicPath, "--uplink-address", "198.51.100.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));
        // Printed once SIGHUP is handled; a signal before it would reload only then ("not forwarding yet").
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(10));

        File.Copy(v2, live, overwrite: true);
        firewall.Signal("HUP");
        await firewall.WaitForOutput("refusing version 2: its client lab holds this firewall's uplink address 198.51.100.2", TimeSpan.FromSeconds(10));
        var booted = await FirewallProcess.Run(false, "boot", "--snapshot", v2, "--trust", publicPath, "--uplink-address", "198.51.100.2");
        firewall.Terminate();

        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("swapped to policy home version 2", firewall.Out + firewall.Err);
        Assert.Equal(2, booted.Code);
        Assert.Contains("--uplink-address: 198.51.100.2 is client lab's address in the snapshot", booted.Err);
    }

    [Theory]
    [InlineData("198.51.100.2/24", "198.51.100.255", "broadcast")]
    [InlineData("2001:db8:1::2/64", "2001:db8:1::", "subnet-router anycast")]
    public async Task a_client_holding_what_the_uplink_prefix_makes_the_firewalls_own_is_refused_at_boot_and_at_a_reload(
        string uplink, string held, string what)
    {
        // The firewall takes the prefix's broadcast or anycast as its own (directed-broadcast, addressed-to-firewall):
        // a client holding it could be reached by no one, as one holding the uplink address itself.
        using var sealedByHand = new HandSealed("lethe-prefix-");
        var work = new SnapshotClient("work", ["10.137.0.5"], [new SnapshotRule("r-1", "action=accept")]);
        var live = Path.Combine(sealedByHand.Folder, "live.json");
        File.Copy(sealedByHand.Write("v1.json", 1, work), live);
        var v2 = sealedByHand.Write("v2.json", 2, work, new SnapshotClient("lab", [held], [new SnapshotRule("r-2", "action=accept")]));
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", live, "--trust", sealedByHand.PublicKey, "--uplink-address", uplink);
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(10));

        File.Copy(v2, live, overwrite: true);
        firewall.Signal("HUP");
        await firewall.WaitForOutput($"refusing version 2: its client lab holds {held}, the {what} of this firewall's uplink prefix {uplink}", TimeSpan.FromSeconds(10));
        var booted = await FirewallProcess.Run(false, "boot", "--snapshot", v2, "--trust", sealedByHand.PublicKey, "--uplink-address", uplink);
        firewall.Terminate();

        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain("swapped to policy home version 2", firewall.Out + firewall.Err);
        Assert.Equal(2, booted.Code);
        Assert.Contains($"--uplink-address: {held}, the {what} of {uplink}, is client lab's address in the snapshot", booted.Err);
    }

    [Fact]
    public async Task a_trusted_key_given_through_a_pipe_is_read_once_and_still_verifies_the_next_version()
    {
        // As `--trust <(...)`: a FIFO gives its bytes to one read only.
        var fifo = Path.Combine(policy.Folder, $"trust-{Guid.NewGuid():N}.fifo");
        Assert.Equal(0, Lethe.PacketPath.Tests.Devices.Command.Execute("mkfifo", fifo).Code);
        var file = Path.Combine(policy.Folder, $"reload-{Guid.NewGuid():N}.json");
        File.Copy(policy.V1, file);
        var pem = await File.ReadAllBytesAsync(policy.PublicKey);
        var feeding = Task.Run(async () =>
        {
            await using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await writer.WriteAsync(pem);
        });
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", file, "--trust", fifo);
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(30));
        await feeding.WaitAsync(TimeSpan.FromSeconds(10));

        File.Copy(policy.V2, file, overwrite: true);
        firewall.Signal("HUP");

        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(10));
        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task sighup_refuses_a_newer_numbered_snapshot_of_another_policy_and_still_takes_its_own_next_version()
    {
        var file = Path.Combine(policy.Folder, $"reload-{Guid.NewGuid():N}.json");
        File.Copy(policy.V1, file);
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", file, "--trust", policy.PublicKey);
        await firewall.WaitForOutput("verifying and watching only", TimeSpan.FromSeconds(30));

        File.Copy(policy.GuestV2, file, overwrite: true);
        firewall.Signal("HUP");
        await firewall.WaitForOutput("refusing policy guest version 2: this firewall runs policy home; keeping version 1", TimeSpan.FromSeconds(10));

        File.Copy(policy.V2, file, overwrite: true);
        firewall.Signal("HUP");
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("to policy guest", firewall.Out);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }
}
