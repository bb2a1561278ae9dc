namespace Lethe.EndToEnd.Tests;

/// <summary>Device flags that make no sense are refused before any device is touched, naming what is wrong.</summary>
public sealed class DeviceFlagTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Theory]
    [InlineData("--client-tun", "work", "--client-tun: 'work' is not CLIENT=DEVICE")]
    [InlineData("--client-tun", "work=this-name-is-far-too-long", "is not an interface name")]
    [InlineData("--client-tun", "work=..", "--client-tun: '..' is not an interface name")]
    [InlineData("--client-tun", "work=all", "--client-tun: 'all' is not an interface name: the kernel keeps 'all' and 'default' for itself")]
    [InlineData("--client-tun", "work=default", "--client-tun: 'default' is not an interface name: the kernel keeps 'all' and 'default' for itself")]
    [InlineData("--workers", "0", "--workers: 0 is outside 1..64")]
    [InlineData("--workers", "65", "--workers: 65 is outside 1..64")]
    [InlineData("--cpus", "4096", "--cpus: CPU 4096 is not one this process may run on")]
    [InlineData("--cpus", "1-x", "--cpus: '1-x' is not a list of CPU numbers and ranges")]
    [InlineData("--cpus", "0, 1", "--cpus: '0, 1' is not a list of CPU numbers and ranges")]
    [InlineData("--cpus", "+0", "--cpus: '+0' is not a list of CPU numbers and ranges")]
    [InlineData("--cpus", "0-+1", "--cpus: '0-+1' is not a list of CPU numbers and ranges")]
    [InlineData("--cpus", "0,0", "--cpus: CPU 0 is given twice")]
    [InlineData("--log-drops", "1025", "--log-drops: 1025 is outside 0..1024: the most dropped packets to log a second (0: none)")]
    [InlineData("--log-drops", "-1", "--log-drops: -1 is outside 0..1024")]
    public async Task boot_refuses_bad_device_flags_with_exit_2_and_the_reason(string flag, string value, string expected)
    {
        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--uplink-tun", "lt-never", flag, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("booted", output);
    }

    [Theory]
    [InlineData("boot", "--max-flows", "99999999999")]
    [InlineData("boot", "--watch-seconds", "abc")]
    [InlineData("boot", "--workers", "1.5")]
    [InlineData("boot", "--log-drops", "ten")]
    [InlineData("boot", "--bogus", "1")]
    [InlineData("nft", "--now", "abc")]
    public async Task a_value_the_flag_parser_cannot_read_is_a_flag_error_with_no_help_text_on_stdout(string command, string flag, string value)
    {
        var (code, output, err) = await FirewallProcess.Run(false, command, "--snapshot", policy.V1, "--trust", policy.PublicKey, flag, value);

        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(value, err);
        Assert.Contains($"(see: lethe-firewall {command} --help)", err);
        Assert.Equal("", output);
        Assert.DoesNotContain("System.", err);
    }

    [Fact]
    public async Task boot_refuses_one_device_named_for_two_networks()
    {
        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--client-tun", "work=lt-same", "--uplink-tun", "lt-same");

        Assert.Equal(2, code);
        Assert.Contains("device 'lt-same' is given twice", err);
    }

    [Fact]
    public async Task boot_refuses_a_cpu_outside_the_ones_its_process_may_run_on()
    {
        // taskset narrows the process to CPU 1, as a container's cpuset would: CPU 0 exists but is not its.
        await using var firewall = FirewallProcess.StartOnCpus("1", "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey,
            "--uplink-tun", "lt-never", "--cpus", "0");

        Assert.Equal(2, await firewall.Exit(TimeSpan.FromSeconds(60)));
        Assert.Contains("--cpus: CPU 0 is not one this process may run on (it may run on 1)", firewall.Err);
    }

    [Fact]
    public async Task a_flow_bound_that_does_not_fit_without_devices_names_no_worker_count()
    {
        // No --client-tun or --uplink-tun: boot runs one worker ("verifying and watching only") whatever --workers says,
        // so fewer workers cannot help. A 64 MiB heap limit, as a container's memory limit sets one.
        await using var firewall = FirewallProcess.StartWithVariable("DOTNET_GCHeapHardLimit", "0x4000000",
            "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--max-flows", "16777216", "--workers", "8");

        Assert.Equal(2, await firewall.Exit(TimeSpan.FromSeconds(60)));
        Assert.StartsWith("error: --max-flows 16777216: the flow tables do not fit in the memory this process may use (", firewall.Err.Trim());
        Assert.DoesNotContain("--workers", firewall.Err);
    }
}
