using System.Text;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Signing;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// The snapshot watch is how a firewall booted from the control plane's URL takes every later
/// version: whatever the URL serves goes through the same verification as boot and SIGHUP, and a
/// snapshot that does not verify is never swapped in.
/// </summary>
public sealed class WatchRefusalTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task the_watch_refuses_a_tampered_or_relabelled_snapshot_keeps_running_and_still_takes_a_genuine_one()
    {
        var v1 = await File.ReadAllTextAsync(policy.V1);
        var v2 = await File.ReadAllTextAsync(policy.V2);
        var body = v1;
        await using var server = Serving(() => Volatile.Read(ref body));
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        var content = v2.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        Volatile.Write(ref body, v2[..content] + (v2[content] == 'A' ? 'B' : 'A') + v2[(content + 1)..]);
        await firewall.WaitForError("watch: refusing the new snapshot, keeping version 1", TimeSpan.FromSeconds(15));

        // Version 1 allowed less; relabelled as version 7 it must not pass for a newer policy.
        var relabelled = v1.Replace("\"version\":1,", "\"version\":7,", StringComparison.Ordinal);
        Assert.Contains("\"version\":7,", relabelled);
        Volatile.Write(ref body, relabelled);
        await firewall.WaitForError("signature does not verify", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("swapped to", firewall.Out);

        Volatile.Write(ref body, v2);
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("version 7", firewall.Out);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task a_genuine_snapshot_of_the_running_version_with_other_content_is_refused_aloud()
    {
        var v1 = await File.ReadAllTextAsync(policy.V1);
        var v2 = await File.ReadAllTextAsync(policy.V2);
        var pem = await File.ReadAllTextAsync(policy.PublicKey);
        // What a control plane with another history would serve: version 1, signed by the same key, holding other rules.
        var first = SnapshotVerifier.Verify(Encoding.UTF8.GetBytes(v1), pem).Envelope;
        var otherContent = SnapshotVerifier.Verify(Encoding.UTF8.GetBytes(v2), pem).ContentBytes;
        using var signer = new FileSnapshotSigner(Path.Combine(policy.Host.KeyDirectory, SigningKeyFiles.PrivateKeyFile));
        var otherV1 = Encoding.UTF8.GetString(SnapshotCodec.ToFile(
            SnapshotSealer.Seal(otherContent, first.Policy, 1, first.LogPosition, first.SealedAt, signer.KeyId, signer.Sign)));
        var body = v1;
        await using var server = Serving(() => Volatile.Read(ref body));
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        Volatile.Write(ref body, otherV1);
        await firewall.WaitForOutput("refusing version 1: its content differs from the running version 1's", TimeSpan.FromSeconds(15));
        Volatile.Write(ref body, v2);
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(15));

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task a_snapshot_cut_short_on_the_way_is_fetched_again_and_taken()
    {
        var v1 = await File.ReadAllTextAsync(policy.V1);
        var v2 = await File.ReadAllTextAsync(policy.V2);
        var body = v1;
        var cut = 0;
        // As the control plane answers, with an ETag per version and 304 to a matching If-None-Match; but the
        // first answer with version 2 is cut in half on the way, with no length, closed where it stops (what
        // an HTTP/1.0 hop can deliver), so it reads to its end and carries version 2's real ETag.
        await using var server = new LoopbackHttp((request, stream) =>
        {
            var text = Volatile.Read(ref body);
            var etag = text == v2 ? "\"2-watched\"" : "\"1-watched\"";
            if (request.Contains($"If-None-Match: {etag}", StringComparison.OrdinalIgnoreCase))
            {
                return LoopbackHttp.Write(stream, $"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n", []);
            }
            var bytes = Encoding.UTF8.GetBytes(text);
            return text == v2 && Interlocked.Increment(ref cut) == 1
                ? LoopbackHttp.Write(stream, $"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nETag: {etag}\r\nConnection: close\r\n\r\n", bytes[..(bytes.Length / 2)])
                : LoopbackHttp.Write(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: {etag}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes);
        });
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        Volatile.Write(ref body, v2);
        await firewall.WaitForError("watch: refusing the new snapshot, keeping version 1", TimeSpan.FromSeconds(15));
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(15));

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A watched URL that answers each request with what <paramref name="body"/> gives at that moment.</summary>
    [Fact]
    public async Task the_watch_names_an_answer_larger_than_any_snapshot_as_such_not_as_an_unreachable_server()
    {
        var v1 = await File.ReadAllTextAsync(policy.V1);
        var body = v1;
        await using var server = Serving(() => Volatile.Read(ref body));
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        Volatile.Write(ref body, new string(' ', 17 * 1024 * 1024));
        await firewall.WaitForError($"watch: {server.Url} answered with more than any snapshot holds (over 16 MiB", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("cannot fetch", firewall.Err);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    private static LoopbackHttp Serving(Func<string> body) => new(stream =>
    {
        var bytes = Encoding.UTF8.GetBytes(body());
        return LoopbackHttp.Write(stream, $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes);
    });
}
