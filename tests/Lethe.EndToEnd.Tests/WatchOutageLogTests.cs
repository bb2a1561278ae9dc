using System.Text;
using System.Text.RegularExpressions;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A control plane down for long must not flood the journal: the watch names the failure once,
/// keeps asking every round, and says when the control plane answers again.
/// </summary>
public sealed class WatchOutageLogTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task an_outage_is_logged_once_then_its_end_with_the_rounds_it_lasted_and_the_next_version_still_comes_within_a_round()
    {
        var v1 = await File.ReadAllTextAsync(policy.V1);
        var v2 = await File.ReadAllTextAsync(policy.V2);
        string? body = v1; // null: down, as a control plane whose database is gone answers
        var asked = 0;
        await using var server = new LoopbackHttp(stream =>
        {
            Interlocked.Increment(ref asked);
            var text = Volatile.Read(ref body);
            if (text is null)
            {
                return LoopbackHttp.Write(stream, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []);
            }
            var bytes = Encoding.UTF8.GetBytes(text);
            return LoopbackHttp.Write(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes);
        });
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.1");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        Volatile.Write(ref body, null);
        var failure = $"watch: {server.Url} answered 503 Service Unavailable; keeping version 1";
        await firewall.WaitForError(failure, TimeSpan.FromSeconds(15));
        var before = Volatile.Read(ref asked);
        await Task.Delay(TimeSpan.FromSeconds(2));
        // Still asked every round (about 20 in 2 s; a loaded machine runs fewer), but said once.
        Assert.True(Volatile.Read(ref asked) - before >= 5, $"asked {Volatile.Read(ref asked) - before} times in 2 s");
        Assert.Single(Regex.Matches(firewall.Err, Regex.Escape(failure)));

        Volatile.Write(ref body, v2);
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(15));
        await firewall.WaitForError("watch: the control plane answers again after ", TimeSpan.FromSeconds(15));
        var recovered = Regex.Match(firewall.Err, @"watch: the control plane answers again after (\d+) failed rounds over \S+");
        Assert.True(recovered.Success, firewall.Err);
        Assert.True(int.Parse(recovered.Groups[1].Value) >= 6, recovered.Value);
        // The failure and its end: nothing between, nothing after.
        Assert.Equal(2, Regex.Matches(firewall.Err, "^watch: ", RegexOptions.Multiline).Count);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }
}
