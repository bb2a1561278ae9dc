using System.Net;
using System.Net.Sockets;
using System.Text;

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
        await using var server = new Serving(v1);
        await using var firewall = FirewallProcess.Start(false, "boot", "--snapshot", server.Url, "--trust", policy.PublicKey, "--watch-seconds", "0.2");
        await firewall.WaitForOutput("booted policy home version 1", TimeSpan.FromSeconds(30));

        var content = v2.IndexOf("\"content\":\"", StringComparison.Ordinal) + 20;
        server.Body = v2[..content] + (v2[content] == 'A' ? 'B' : 'A') + v2[(content + 1)..];
        await firewall.WaitForError("watch: refusing the new snapshot, keeping version 1", TimeSpan.FromSeconds(15));

        // Version 1 allowed less; relabelled as version 7 it must not pass for a newer policy.
        var relabelled = v1.Replace("\"version\":1,", "\"version\":7,", StringComparison.Ordinal);
        Assert.Contains("\"version\":7,", relabelled);
        server.Body = relabelled;
        await firewall.WaitForError("signature does not verify", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("swapped to", firewall.Out);

        server.Body = v2;
        await firewall.WaitForOutput("swapped to policy home version 2", TimeSpan.FromSeconds(15));
        Assert.DoesNotContain("version 7", firewall.Out);

        firewall.Terminate();
        Assert.Equal(0, await firewall.Exit(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A loopback HTTP server answering every request with <see cref="Body"/> (and its own ETag), which the test changes.</summary>
    private sealed class Serving : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;
        private volatile string _body;

        public Serving(string body)
        {
            _body = body;
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/policies/home/snapshots/latest";
            _serving = Task.Run(async () =>
            {
                while (true)
                {
                    try
                    {
                        using var client = await _listener.AcceptTcpClientAsync();
                        var stream = client.GetStream();
                        var request = new byte[4096];
                        await stream.ReadAtLeastAsync(request, 1, throwOnEndOfStream: false);
                        var bytes = Encoding.UTF8.GetBytes(_body);
                        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"{(uint)_body.GetHashCode():x8}\"\r\n" +
                                   $"Content-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                        await stream.WriteAsync(bytes);
                    }
                    catch (Exception e) when (e is IOException or SocketException)
                    {
                        // The firewall hung up; serve the next request.
                    }
                    catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                    {
                        return; // stopped: the test is over
                    }
                }
            });
        }

        public string Url { get; }

        public string Body
        {
            set => _body = value;
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
