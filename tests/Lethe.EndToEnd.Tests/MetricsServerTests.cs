using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests;

/// <summary>The metrics endpoint answers real scrapers and costs little to anyone else who reaches it.</summary>
public sealed class MetricsServerTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private MetricsServer _server = null!;
    private Task _running = Task.CompletedTask;
    private int _renders;

    public Task InitializeAsync()
    {
        _server = MetricsServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), () =>
        {
            Interlocked.Increment(ref _renders);
            return "lethe_up 1\n";
        });
        _running = _server.Run(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _server.Dispose();
    }

    [Fact]
    public async Task a_request_line_split_over_two_segments_is_answered()
    {
        using var client = await Connect();
        var stream = client.GetStream();

        await stream.WriteAsync("GET /met"u8.ToArray());
        await Task.Delay(100);
        await stream.WriteAsync("rics HTTP/1.0\r\n\r\n"u8.ToArray());
        var answer = await ReadAll(stream);

        Assert.StartsWith("HTTP/1.0 200 OK\r\n", answer);
        Assert.EndsWith("\r\n\r\nlethe_up 1\n", answer);
    }

    [Fact]
    public async Task a_page_that_cannot_be_rendered_is_answered_with_500_and_why()
    {
        await WithServer(() => throw new IndexOutOfRangeException("a client went"), async failing =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(failing.Endpoint);
            await client.GetStream().WriteAsync("GET /metrics HTTP/1.0\r\n\r\n"u8.ToArray());
            var answer = await ReadAll(client.GetStream());

            Assert.StartsWith("HTTP/1.0 500 Internal Server Error\r\n", answer);
            Assert.Contains("a client went", answer);
        });
    }

    [Fact]
    public async Task scrapes_within_a_second_share_one_rendering()
    {
        var first = await Get("/metrics");
        var second = await Get("/metrics");

        Assert.Equal(first, second);
        Assert.Equal(1, Volatile.Read(ref _renders));
    }

    [Fact]
    public async Task connections_beyond_the_limit_are_closed_unanswered_while_the_others_wait()
    {
        for (var attempt = 1; ; attempt++)
        {
            var rendersBefore = Volatile.Read(ref _renders);
            var taken = System.Diagnostics.Stopwatch.StartNew();
            var silent = await TakeEveryPlace();
            string answer;
            int rendered;
            try
            {
                // Each of those holds a place until it sends a request or its 5 s run out, and for a
                // second none may be taken from it.
                await Task.Delay(200);

                using var extra = await Connect();
                await extra.GetStream().WriteAsync("GET /metrics HTTP/1.0\r\n\r\n"u8.ToArray());
                answer = await ReadAll(extra.GetStream());
                rendered = Volatile.Read(ref _renders) - rendersBefore;
            }
            finally
            {
                silent.ForEach(c => c.Dispose());
            }
            // Once they are gone, scrapes are answered again.
            var later = await Eventually(() => Get("/metrics"));
            Assert.StartsWith("HTTP/1.0 200 OK", later);
            if (taken.Elapsed >= TimeSpan.FromMilliseconds(900) && attempt < 5)
            {
                continue; // a machine so busy that the silent ones were near a second old: not a fair check, so again
            }

            Assert.Equal("", answer);
            Assert.Equal(0, rendered);
            return;
        }
    }

    [Fact]
    public async Task a_connection_left_silent_for_a_second_gives_its_place_to_a_scrape()
    {
        var silent = await TakeEveryPlace();
        try
        {
            // Opened and left silent: anyone who reaches the address could hold every place so.
            await Task.Delay(TimeSpan.FromSeconds(1.2));

            var scrape = await Get("/metrics");

            Assert.StartsWith("HTTP/1.0 200 OK", scrape);
            // The oldest silent one was closed to make room; the others still hold theirs.
            var oldest = silent[0].Client;
            Assert.True(oldest.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectRead) && oldest.Available == 0, "the oldest silent connection is still open");
            Assert.False(silent[^1].Client.Poll(TimeSpan.Zero, SelectMode.SelectRead), "a younger silent connection was closed too");
        }
        finally
        {
            silent.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task anything_but_the_metrics_page_is_404()
    {
        Assert.StartsWith("HTTP/1.0 404 Not Found", await Get("/admin"));
        Assert.StartsWith("HTTP/1.0 404 Not Found", await Get("/metricsx"));
        Assert.Equal(0, Volatile.Read(ref _renders));
    }

    [Fact]
    public async Task a_scrape_with_url_parameters_gets_the_page()
    {
        var answer = await Get("/metrics?module=lethe");

        Assert.StartsWith("HTTP/1.0 200 OK\r\n", answer);
        Assert.EndsWith("\r\n\r\nlethe_up 1\n", answer);
    }

    private async Task<TcpClient> Connect()
    {
        var client = new TcpClient();
        await client.ConnectAsync(_server.Endpoint);
        return client;
    }

    /// <summary>As many connections as the server answers at once, each sending nothing.</summary>
    private async Task<List<TcpClient>> TakeEveryPlace()
    {
        var silent = new List<TcpClient>();
        for (var i = 0; i < MetricsServer.MaxAnswering; i++)
        {
            silent.Add(await Connect());
        }
        return silent;
    }

    private async Task<string> Get(string path)
    {
        using var client = await Connect();
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\n\r\n"));
        return await ReadAll(client.GetStream());
    }

    private static async Task<string> ReadAll(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var all = new MemoryStream();
        try
        {
            await stream.CopyToAsync(all, timeout.Token);
        }
        catch (IOException)
        {
            // Reset by the server: what arrived before it counts.
        }
        return Encoding.UTF8.GetString(all.ToArray());
    }

    private static async Task<string> Eventually(Func<Task<string>> get)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var answer = await get();
            if (answer.Length > 0 || DateTime.UtcNow > deadline)
            {
                return answer;
            }
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task connections_that_ask_and_never_read_the_answer_do_not_keep_scrapes_out()
    {
        // Larger than loopback's socket buffers (about 2 MiB a connection); over a real link some 72 KiB stall a writer.
        var page = new string('#', 8 * 1024 * 1024 - 1) + "\n";
        var readers = new List<TcpClient>();
        try
        {
            await WithServer(() => page, async server =>
            {
                for (var i = 0; i < MetricsServer.MaxAnswering; i++)
                {
                    var reader = new TcpClient { ReceiveBufferSize = 4096 };
                    await reader.ConnectAsync(server.Endpoint);
                    await reader.GetStream().WriteAsync("GET /metrics HTTP/1.0\r\n\r\n"u8.ToArray());
                    readers.Add(reader);
                }
                await Task.Delay(TimeSpan.FromSeconds(1.5));

                using var scraper = new TcpClient();
                await scraper.ConnectAsync(server.Endpoint);
                await scraper.GetStream().WriteAsync("GET /metrics HTTP/1.0\r\n\r\n"u8.ToArray());
                var answer = await ReadAll(scraper.GetStream());

                Assert.StartsWith("HTTP/1.0 200 OK", answer);
                Assert.EndsWith("#\n", answer);
            });
        }
        finally
        {
            readers.ForEach(r => r.Dispose());
        }
    }

    /// <summary>A server of the test's own, with its own page, running while <paramref name="body"/> does.</summary>
    private static async Task WithServer(Func<string> render, Func<MetricsServer, Task> body)
    {
        using var stop = new CancellationTokenSource();
        using var server = MetricsServer.Listen(new IPEndPoint(IPAddress.Loopback, 0), render);
        var running = server.Run(stop.Token);
        try
        {
            await body(server);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }
}
