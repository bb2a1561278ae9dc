using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>What boot does with a server that is slow, redirects, or sends more than a snapshot can be: nothing unverified, nothing unbounded.</summary>
public sealed class SnapshotFetchTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task a_sighup_while_boot_still_fetches_is_kept_for_when_it_forwards_and_boot_goes_on()
    {
        var snapshot = await File.ReadAllBytesAsync(policy.V1);
        var asked = new TaskCompletionSource();
        await using var server = new LoopbackHttp(async stream =>
        {
            asked.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(2));
            await LoopbackHttp.Write(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {snapshot.Length}\r\nConnection: close\r\n\r\n", snapshot);
        });
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey);

        await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        firewall.Signal("HUP");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));
        // Read again once it forwards: boot may have read the snapshot before it changed.
        await firewall.WaitForOutput("keeping version 1: version 1 is not newer", TimeSpan.FromSeconds(30));
        firewall.Terminate();

        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(30)));
        Assert.Contains("reload: not forwarding yet; the snapshot is read again once forwarding starts", firewall.Err);
    }

    [Theory]
    [InlineData("verify", "http://", "--snapshot: 'http://' is not a URL")]
    [InlineData("boot", "http://[::1", "--snapshot: 'http://[::1' is not a URL")]
    [InlineData("replay", "https://:80/", "--snapshot: 'https://:80/' is not a URL")]
    public async Task a_url_that_cannot_be_fetched_is_a_flag_error_not_a_crash(string command, string url, string expected)
    {
        string[] extra = command == "replay" ? ["--pcap", Path.Combine(policy.Folder, "none.pcap")] : [];

        var (code, output, error) = await FirewallProcess.Run(false, [command, "--snapshot", url, "--trust", policy.PublicKey, .. extra]);

        Assert.Equal(2, code);
        Assert.StartsWith($"error: {expected}", error);
        Assert.DoesNotContain("Unhandled", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task a_token_with_a_line_break_inside_is_a_flag_error_not_a_crash()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", "http://127.0.0.1:9/latest", "--trust", policy.PublicKey,
            "--token", "abc\ndef");

        Assert.Equal(2, code);
        Assert.StartsWith("error: --token (or LETHE_TOKEN): holds a control character", error);
    }

    [Theory]
    [InlineData("boot", "refusing to boot: ", "/policies/home/snapshots/latest")]
    [InlineData("verify", "", "/policies/home/snapshots/latest")]
    // The control plane's routes ignore case: these URLs serve home's snapshot too.
    [InlineData("verify", "", "/POLICIES/home/snapshots/latest")]
    [InlineData("boot", "refusing to boot: ", "/policies/home/Snapshots/latest")]
    public async Task a_url_of_one_policy_serving_another_policys_genuine_snapshot_is_refused(string command, string before, string path)
    {
        // Signed with the same key as home's: only the name it carries tells it apart.
        var guest = await File.ReadAllBytesAsync(policy.GuestV2);
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {guest.Length}\r\nConnection: close\r\n\r\n", guest));
        var url = server.Url.Replace("/policies/home/snapshots/latest", path, StringComparison.Ordinal);

        var (code, output, error) = await FirewallProcess.Run(false, command, "--snapshot", url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains($"{before}{url} is policy home's, but the snapshot it served is of policy guest; refused", error);
        Assert.DoesNotContain("booted", output);
    }

    [Theory]
    [InlineData("verify", "")]
    [InlineData("boot", "refusing to boot: ")]
    public async Task a_url_naming_one_version_serving_another_genuine_version_is_refused(string command, string before)
    {
        // Home's genuine version 1, served for a URL that pins version 2: only the version it carries tells it apart.
        var v1 = await File.ReadAllBytesAsync(policy.V1);
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {v1.Length}\r\nConnection: close\r\n\r\n", v1));
        var url = server.Url.Replace("/snapshots/latest", "/snapshots/2", StringComparison.Ordinal);
        var right = server.Url.Replace("/snapshots/latest", "/snapshots/1", StringComparison.Ordinal);

        var (code, output, error) = await FirewallProcess.Run(false, command, "--snapshot", url, "--trust", policy.PublicKey);
        var (pinnedCode, pinnedOutput, _) = await FirewallProcess.Run(false, "verify", "--snapshot", right, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains($"{before}{url} is version 2's, but the snapshot it served is version 1; refused", error);
        Assert.DoesNotContain("booted", output);
        Assert.Equal(0, pinnedCode);
        Assert.Contains("version 1", pinnedOutput);
    }

    [Fact]
    public async Task a_redirect_is_not_followed()
    {
        await using var server = new LoopbackHttp(stream =>
            LoopbackHttp.Write(stream, "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []));

        var (code, output, error) = await FirewallProcess.Run(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains($"refusing to boot: {server.Url} answered 302 Found to file:///etc/passwd (redirects are not followed", error);
        Assert.DoesNotContain("booted", output);
    }

    [Fact]
    public async Task terminal_escapes_in_a_redirect_are_logged_as_escapes_not_sent_to_the_terminal()
    {
        // Whoever answers for the URL is not trusted: its status line and Location reach the log a person reads.
        await using var server = new LoopbackHttp(stream =>
            LoopbackHttp.Write(stream, "HTTP/1.1 302 Fo\u001b[2Jund\u0007\r\nLocation: http://192.0.2.1/\u001b]0;owned\u0007\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []));

        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("answered 302 Fo\\x1B[2Jund\\x07 to http://192.0.2.1/\\x1B]0;owned\\x07 (redirects are not followed", error);
        Assert.False(error.Replace("\n", "", StringComparison.Ordinal).Any(char.IsControl), error);
    }

    [Fact]
    public async Task a_redirect_with_a_huge_reason_and_location_is_refused_in_one_short_line_showing_their_start_and_length()
    {
        // Headers may run to 64 KiB: a foreign server's words must not fill the log line that refuses them.
        var reason = "Fo" + new string('o', 10_000) + "und";
        var location = "http://192.0.2.1/" + new string('a', 10_000);
        await using var server = new LoopbackHttp(stream =>
            LoopbackHttp.Write(stream, $"HTTP/1.1 302 {reason}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []));

        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        var line = Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.True(line.Length < 400, $"{line.Length} characters: {line[..Math.Min(400, line.Length)]}");
        Assert.Contains($"answered 302 Fo{new string('o', 62)}... (10,005 characters) to http://192.0.2.1/{new string('a', 47)}... (10,017 characters) (redirects are not followed", line);
    }

    [Fact]
    public async Task an_error_status_with_a_huge_reason_is_refused_in_one_short_line_with_its_escapes_shown()
    {
        var reason = "\u001b[2J" + new string('x', 20_000);
        await using var server = new LoopbackHttp(stream =>
            LoopbackHttp.Write(stream, $"HTTP/1.1 503 {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []));

        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        var line = Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.True(line.Length < 400, $"{line.Length} characters: {line[..Math.Min(400, line.Length)]}");
        Assert.EndsWith($"answered 503 \\x1B[2J{new string('x', 57)}... (20,004 characters)", line);
        Assert.False(line.Any(char.IsControl), line);
    }

    [Fact]
    public async Task a_body_larger_than_any_snapshot_is_refused_unread()
    {
        await using var server = new LoopbackHttp(async stream =>
        {
            await LoopbackHttp.Write(stream, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\n", []);
            var zeros = new byte[64 * 1024];
            // Sends until the firewall hangs up; it should do so at once.
            for (var sent = 0L; sent < 1_000_000_000; sent += zeros.Length)
            {
                await stream.WriteAsync(zeros);
            }
        });

        var (code, _, error) = await FirewallProcess.Run(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains($"refusing to boot: {server.Url} answered with more than any snapshot holds (over 16 MiB", error);
    }

    [Fact]
    public async Task a_snapshot_file_that_never_ends_is_refused_at_the_same_bound()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", "/dev/zero", "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains("/dev/zero is larger than 16 MiB, which no snapshot is", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_url_pinning_version_1_that_later_serves_version_2_is_not_swapped_to(bool hangUp)
    {
        var v1 = await File.ReadAllBytesAsync(policy.V1);
        var v2 = await File.ReadAllBytesAsync(policy.V2);
        var served = 0;
        await using var server = new LoopbackHttp(stream =>
        {
            var body = Interlocked.Increment(ref served) == 1 ? v1 : v2;
            return LoopbackHttp.Write(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", body);
        });
        var pinned = server.Url.Replace("/snapshots/latest", "/snapshots/1", StringComparison.Ordinal);
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", pinned, "--trust", policy.PublicKey,
            "--watch-seconds", hangUp ? "86400" : "0.2");

        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));
        if (hangUp)
        {
            firewall.Signal("HUP");
        }
        await firewall.WaitForError($"{pinned} is version 1's, but the snapshot it served is version 2; refused", TimeSpan.FromSeconds(30));
        firewall.Terminate();
        await firewall.Exit(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain("version 2", firewall.Out);
    }
}
