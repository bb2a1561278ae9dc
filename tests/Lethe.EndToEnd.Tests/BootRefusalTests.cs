namespace Lethe.EndToEnd.Tests;

public sealed class BootRefusalTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task boot_refuses_a_snapshot_whose_content_was_altered()
    {
        var tampered = Path.Combine(policy.Folder, "tampered.json");
        var text = await File.ReadAllTextAsync(policy.V1);
        var content = text.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        var flipped = text[content] == 'A' ? 'B' : 'A';
        await File.WriteAllTextAsync(tampered, text[..content] + flipped + text[(content + 1)..]);

        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", tampered, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("refusing to boot: content hash mismatch", err);
        Assert.DoesNotContain("booted", output);
    }

    [Fact]
    public async Task boot_refuses_a_snapshot_signed_with_another_key()
    {
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var otherKey = Path.Combine(policy.Folder, "other.pub");
        await File.WriteAllTextAsync(otherKey, other.ExportSubjectPublicKeyInfoPem());

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", otherKey);

        Assert.Equal(1, code);
        Assert.Contains("trusted key is", err);
    }

    [Fact]
    public async Task boot_refuses_an_unknown_snapshot_format()
    {
        var future = Path.Combine(policy.Folder, "future.json");
        await File.WriteAllTextAsync(future, (await File.ReadAllTextAsync(policy.V1)).Replace("lethe.snapshot/2", "lethe.snapshot/9"));

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", future, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("unknown snapshot format 'lethe.snapshot/9'", err);
    }

    [Fact]
    public async Task boot_refuses_a_snapshot_it_cannot_read()
    {
        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", Path.Combine(policy.Folder, "missing.json"), "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("cannot read", err);
        Assert.DoesNotContain("booted", output);
    }

    [Fact]
    public async Task boot_refuses_a_metrics_address_already_taken_before_it_says_booted()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var endpoint = $"127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}";

        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey, "--metrics", endpoint);

        Assert.Equal(1, code);
        Assert.Contains($"error: cannot serve metrics on {endpoint}", err);
        Assert.DoesNotContain("booted", output);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData("--metrics", "localhost:9108", "--metrics: 'localhost:9108' is not ADDRESS:PORT")]
    // Linux binds a listener there, and no scraper could connect to it.
    [InlineData("--metrics", "224.0.0.1:9108", "--metrics 224.0.0.1:9108: 224.0.0.1 is a multicast address")]
    [InlineData("--metrics", "255.255.255.255:9108", "--metrics 255.255.255.255:9108: 255.255.255.255 is the broadcast address")]
    [InlineData("--metrics", "[ff02::1]:9108", "--metrics [ff02::1]:9108: ff02::1 is a multicast address")]
    [InlineData("--watch-seconds", "0", "--watch-seconds: 0 is outside 0.1..86400")]
    [InlineData("--watch-seconds", "-5", "--watch-seconds: -5 is outside 0.1..86400")]
    [InlineData("--watch-seconds", "0.0001", "--watch-seconds: 0.0001 is outside 0.1..86400")]
    public async Task boot_refuses_a_bad_flag_with_exit_2_before_it_boots(string flag, string value, string expected)
    {
        var (code, output, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.PublicKey, flag, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("booted", output);
    }

    [Theory]
    [InlineData("--watch-seconds", "0", "--watch-seconds: 0 is outside 0.1..86400")]
    [InlineData("--workers", "0", "--workers: 0 is outside 1..64")]
    [InlineData("--max-flows", "0", "--max-flows: 0 is outside 1..")]
    [InlineData("--cpus", "0,0", "--cpus: CPU 0 is given twice")]
    [InlineData("--idle-poll-us", "10001", "--idle-poll-us: 10001 is outside 0..10000")]
    [InlineData("--log-drops", "1025", "--log-drops: 1025 is outside 0..1024")]
    [InlineData("--metrics", "localhost:9108", "--metrics: 'localhost:9108' is not ADDRESS:PORT")]
    [InlineData("--uplink-address", "198.51.100.300", "--uplink-address: '198.51.100.300' is not an IPv4 or IPv6 address")]
    [InlineData("--uplink-address", "198.51.100.2/33", "the prefix length 33 is outside 0..32")]
    [InlineData("--dns", "ff02::1", "--dns: ff02::1 is a multicast, broadcast")]
    [InlineData("--client-tun", "work", "--client-tun: 'work' is not CLIENT=DEVICE")]
    [InlineData("--client-tun", "work=all", "--client-tun: 'all' is not an interface name: the kernel keeps")]
    [InlineData("--uplink-tun", "lt/up", "--uplink-tun: 'lt/up' is not an interface name")]
    public Task a_bad_flag_the_snapshot_has_no_say_in_is_told_before_the_snapshot_is_read(string flag, string value, string expected) =>
        FirewallProcess.AssertRefusedBeforeTheSnapshot(policy.Folder, "boot", expected, flag, value);

    [Fact]
    public async Task boot_names_a_trusted_key_it_cannot_read()
    {
        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", policy.V1, "--trust", policy.Folder);

        Assert.Equal(1, code);
        Assert.Contains($"cannot read the trusted key '{policy.Folder}", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task boot_says_so_when_the_snapshot_url_never_answers()
    {
        // Accepts the connection and says nothing, like a control plane that hangs.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}/policies/home/snapshots/latest";

        var (code, _, err) = await FirewallProcess.Run(false, "boot", "--snapshot", url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains($"refusing to boot: cannot fetch {url}: no answer within 15 s", err);
    }

    [Fact]
    public async Task sigterm_while_the_snapshot_is_still_on_its_way_stops_boot_with_a_line_and_exit_0()
    {
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}/policies/home/snapshots/latest";
        await using var process = FirewallProcess.Start(false, "boot", "--snapshot", url, "--trust", policy.PublicKey);
        using var fetching = await silent.AcceptTcpClientAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        process.Terminate();
        var code = await process.Exit(TimeSpan.FromSeconds(10));

        Assert.Equal(0, code);
        Assert.Contains("stopped before booting; nothing was forwarded", process.Out);
        Assert.DoesNotContain("booted", process.Out.Replace("before booting", ""));
        Assert.Equal("", process.Err);
    }

    [Fact]
    public async Task sigterm_while_the_snapshot_is_still_being_read_from_a_pipe_stops_boot_with_a_line_and_exit_0()
    {
        // A named pipe whose writer has not come yet (`--snapshot <(ssh host cat home.json)` still on its way, say).
        var fifo = Path.Combine(policy.Folder, $"snapshot-{Guid.NewGuid():N}.fifo");
        Assert.Equal(0, Lethe.PacketPath.Tests.Devices.Command.Execute("mkfifo", fifo).Code);
        try
        {
            await using var process = FirewallProcess.Start(false, "boot", "--snapshot", fifo, "--trust", policy.PublicKey);
            await Task.Delay(TimeSpan.FromSeconds(3)); // started, and waiting for the pipe's bytes

            process.Terminate();
            int? code = null;
            try
            {
                code = await process.Exit(TimeSpan.FromSeconds(10));
            }
            catch (OperationCanceledException)
            {
            }

            Assert.True(code is not null, $"lethe-firewall boot still runs 10 s after SIGTERM. stdout: {process.Out} stderr: {process.Err}");
            Assert.Equal(0, code);
            Assert.Contains("stopped before booting; nothing was forwarded", process.Out);
        }
        finally
        {
            File.Delete(fifo);
        }
    }
}
