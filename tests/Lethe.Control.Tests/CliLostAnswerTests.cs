using Lethe.Control.Cli;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// What `lethe` says when the control plane got a request but its answer never arrived whole: the
/// server was reached, so a change may have been made, as when it does not answer in time.
/// </summary>
public class CliLostAnswerTests
{
    private const string CutShort = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"policy\": \"home\", ";

    [Theory]
    [InlineData(CutShort)]
    [InlineData("")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    public async Task a_change_whose_answer_is_lost_after_the_request_arrived_is_not_reported_as_unreachable(string answer)
    {
        var received = 0;
        await using var server = new LoopbackHttp((request, stream) =>
        {
            if (request.StartsWith("POST ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref received);
            }
            return LoopbackHttp.Write(stream, answer, []);
        });

        var (code, output, error) = await Run(server, "rule", "add", "home", "work", "action=accept", "-m", "r");

        Assert.Equal(1, code);
        Assert.Equal(1, received);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"error: the control plane at {server.Root} ", line);
        Assert.DoesNotContain("cannot reach", line);
        Assert.Contains("the change may still have been made: see `lethe history`", line);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task a_change_whose_connection_is_reset_after_the_request_arrived_is_not_reported_as_unreachable(bool afterAHead)
    {
        var received = 0;
        await using var server = new LoopbackHttp(async (request, stream) =>
        {
            if (request.StartsWith("POST ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref received);
            }
            if (afterAHead)
            {
                await LoopbackHttp.Write(stream, CutShort, []);
                await Task.Delay(100);
            }
            // A reset rather than an orderly close: what a proxy or a crashed server sends.
            stream.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            stream.Socket.Close();
        });

        var (code, _, error) = await Run(server, "rule", "add", "home", "work", "action=accept", "-m", "r");

        Assert.Equal(1, code);
        Assert.Equal(1, received);
        Assert.StartsWith($"error: the control plane at {server.Root} ", error);
        Assert.Contains("the change may still have been made: see `lethe history`", error);
    }

    [Fact]
    public async Task a_read_whose_answer_is_cut_short_says_so_without_a_word_of_changes()
    {
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream, CutShort, []));

        var (code, _, error) = await Run(server, "policy", "list");

        Assert.Equal(1, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"error: the control plane at {server.Root} ", line);
        Assert.DoesNotContain("cannot reach", line);
        Assert.DoesNotContain("change", line);
    }

    [Fact]
    public async Task a_change_to_a_port_where_nothing_listens_still_cannot_reach_it()
    {
        var (code, _, error) = await Run(null, "rule", "add", "home", "work", "action=accept", "-m", "r");

        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot reach the control plane at http://127.0.0.1:1", error);
        Assert.DoesNotContain("may still have been made", error);
    }

    [Fact]
    public async Task a_change_whose_tls_handshake_never_ends_is_reported_as_unreachable_not_as_possibly_made()
    {
        var received = 0;
        // Takes the connection and the ClientHello and says nothing: a hung TLS terminator. The
        // request is never sent.
        await using var server = new LoopbackHttp(async (_, _) =>
        {
            Interlocked.Increment(ref received);
            await Task.Delay(TimeSpan.FromSeconds(10));
        });
        var https = server.Root.Replace("http://", "https://", StringComparison.Ordinal);

        var (code, output, error) = await Run(https, TimeSpan.FromSeconds(3), "rule", "add", "home", "work", "action=accept", "-m", "r");

        Assert.Equal(1, code);
        Assert.Equal(1, received);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.Equal($"error: cannot reach the control plane at {https}: no connection (TCP and TLS) within 1 s", line);
        Assert.DoesNotContain("may still have been made", line);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task a_change_the_server_took_and_never_answered_is_never_reported_as_not_sent()
    {
        // Takes each whole request and says nothing until lethe hangs up: every request went out.
        var received = 0;
        await using var server = new LoopbackHttp(async (request, stream) =>
        {
            if (request.StartsWith("POST ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref received);
            }
            var rest = new byte[4096];
            while (await stream.ReadAsync(rest) > 0)
            {
            }
        });

        // HttpClient's own timer can fire a few milliseconds before its Timeout by the Stopwatch:
        // many short tries, so that one that does is among them. On a busy machine a try can also end
        // before its request reached the server at all; only the tries the server took are judged.
        var notSent = new List<string>();
        var taken = 0;
        const int tries = 30;
        for (var i = 0; i < tries; i++)
        {
            var before = Volatile.Read(ref received);
            var (_, _, error) = await Run(server.Root, TimeSpan.FromMilliseconds(300), "rule", "add", "home", "work", "action=accept", "-m", "r");
            // The server's handler may count the request a moment after lethe has given up on it.
            for (var waited = 0; Volatile.Read(ref received) == before && waited < 50; waited++)
            {
                await Task.Delay(10);
            }
            if (Volatile.Read(ref received) == before)
            {
                continue;
            }
            taken++;
            if (!error.Contains("may still have been made", StringComparison.Ordinal))
            {
                notSent.Add(error.Trim());
            }
        }

        Assert.True(taken >= tries / 2, $"only {taken} of {tries} requests reached the server");
        Assert.True(notSent.Count == 0, $"the server took {taken} changes, yet {notSent.Count} were reported as not sent: {string.Join(" | ", notSent.Distinct())}");
    }

    private static Task<(int Code, string Out, string Err)> Run(LoopbackHttp? server, params string[] command) =>
        Run(server?.Root ?? "http://127.0.0.1:1", null, command);

    private static async Task<(int Code, string Out, string Err)> Run(string root, TimeSpan? timeout, params string[] command)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create(timeout);
        var code = await LetheCli.Run([.. command, "--server", root, "--token", ControlPlaneHost.EditorToken],
            output, error, new StringReader(""), () => http);
        return (code, output.ToString(), error.ToString());
    }
}
