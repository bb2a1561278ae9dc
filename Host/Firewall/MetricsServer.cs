using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lethe.Firewall;

/// <summary>
/// A minimal HTTP/1.0 responder for `GET /metrics` (and `GET /flows`, the tracked flows), on the address given by --metrics only.
/// No web framework: the firewall stays small and NativeAOT-compiled.
/// </summary>
/// <remarks>
/// Whoever reaches the address may connect, so a connection costs little: at most
/// <see cref="MaxAnswering"/> are answered at once, and each page is rendered at most once per
/// <see cref="PageLifetime"/> and shared by every answer meanwhile (so the workers copy their flows
/// for <c>/flows</c> at most once a second, however often it is asked for). When all places are taken, a
/// new connection takes the place of the one that has made no progress for longest, if that is at
/// least <see cref="SilentEvictAfter"/> (no request yet, or an answer it does not read), else it is
/// closed unanswered: connections opened and left silent, or that ask and never read the page,
/// cannot keep scrapes out.
/// </remarks>
public sealed class MetricsServer : IDisposable
{
    public const int MaxAnswering = 8;

    private const int MaxRequestLine = 2048;

    private static readonly TimeSpan AcceptRetry = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan PageLifetime = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a connection may make no progress before a new one may take its place; a scraper asks, and reads, at once.</summary>
    private static readonly TimeSpan SilentEvictAfter = TimeSpan.FromSeconds(1);

    /// <summary>The page is written in pieces of this size, each a sign of progress: a peer that stops reading stalls one.</summary>
    private const int WriteChunk = 16 * 1024;

    private static readonly byte[] NotFound = Response("404 Not Found", "not found\n");

    private readonly TcpListener _listener;
    private readonly CachedPage _metrics;
    private readonly CachedPage? _flows;
    private readonly Place?[] _places = new Place?[MaxAnswering];
    private readonly Lock _placesLock = new();

    private MetricsServer(TcpListener listener, Func<string> render, Func<string>? flows)
    {
        _listener = listener;
        _metrics = new CachedPage(render, PrometheusText);
        // Lines for people, not Prometheus's exposition format.
        _flows = flows is null ? null : new CachedPage(flows, "text/plain; charset=utf-8");
    }

    /// <summary>Binds at once, so a port already taken or an address not of this host stops boot with its reason.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    /// <param name="flows">Renders <c>/flows</c>; null: that path is not found.</param>
    public static MetricsServer Listen(IPEndPoint endpoint, Func<string> render, Func<string>? flows = null)
    {
        var listener = new TcpListener(endpoint);
        try
        {
            listener.Start();
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new MetricsServer(listener, render, flows);
    }

    /// <summary>Where it listens (the port the kernel chose, when port 0 was given).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public async Task Run(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors under a flood of connections, say: scrapes resume once they are back.
                await Task.Delay(AcceptRetry, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            if (TakePlace(client) is not { } place)
            {
                client.Dispose();
                continue;
            }
            _ = Answer(place, ct);
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A connection being answered, and when it last made progress (connected, asked, took a piece of the answer).</summary>
    private sealed class Place(TcpClient client)
    {
        private long _progress = System.Diagnostics.Stopwatch.GetTimestamp();

        public TcpClient Client { get; } = client;

        public long Progress => Volatile.Read(ref _progress);

        public void Moved() => Volatile.Write(ref _progress, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    /// <summary>A free place, or the place of the connection stuck longest, if too long (closed here), or null.</summary>
    private Place? TakePlace(TcpClient client)
    {
        lock (_placesLock)
        {
            var free = Array.IndexOf(_places, null);
            if (free < 0)
            {
                for (var i = 0; i < _places.Length; i++)
                {
                    var p = _places[i]!;
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(p.Progress) >= SilentEvictAfter
                        && (free < 0 || p.Progress < _places[free]!.Progress))
                    {
                        free = i;
                    }
                }
                if (free < 0)
                {
                    return null;
                }
                _places[free]!.Client.Dispose();
            }
            return _places[free] = new Place(client);
        }
    }

    private void LeavePlace(Place place)
    {
        lock (_placesLock)
        {
            var at = Array.IndexOf(_places, place);
            if (at >= 0)
            {
                _places[at] = null;
            }
        }
    }

    private async Task Answer(Place place, CancellationToken ct)
    {
        var client = place.Client;
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(RequestTimeout);
                var line = await ReadRequestLine(stream, timeout.Token);
                place.Moved();
                // Prometheus may add URL parameters (a scrape config's `params`); the page has none to take.
                var page = Asks(line, "/metrics") || line.StartsWith("GET / ", StringComparison.Ordinal) ? _metrics
                    : Asks(line, "/flows") ? _flows
                    : null;
                var answer = page?.Get() ?? NotFound;
                for (var at = 0; at < answer.Length; at += WriteChunk)
                {
                    await stream.WriteAsync(answer.AsMemory(at, Math.Min(WriteChunk, answer.Length - at)), timeout.Token);
                    place.Moved();
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A scraper that went away, or a silent connection whose place a new one took: nothing to do.
            }
            catch (Exception e)
            {
                // Not left unobserved: the scraper hears why, and so does the log.
                await Console.Error.WriteLineAsync($"metrics: the page could not be rendered: {e.GetType().Name}: {e.Message}");
                await TryAnswer(client, Response("500 Internal Server Error", $"the page could not be rendered: {e.Message}\n"));
            }
            finally
            {
                LeavePlace(place);
            }
        }
    }

    private static async Task TryAnswer(TcpClient client, byte[] response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(RequestTimeout);
            await client.GetStream().WriteAsync(response, timeout.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidOperationException)
        {
            // The scraper went away meanwhile.
        }
    }

    /// <summary>Up to the first line break, which may come in more than one segment; at most <see cref="MaxRequestLine"/> bytes.</summary>
    private static async Task<string> ReadRequestLine(NetworkStream stream, CancellationToken ct)
    {
        var request = new byte[MaxRequestLine];
        var length = 0;
        while (length < request.Length)
        {
            var read = await stream.ReadAsync(request.AsMemory(length), ct);
            if (read == 0)
            {
                break;
            }
            length += read;
            if (request.AsSpan(0, length).IndexOf((byte)'\n') >= 0)
            {
                break;
            }
        }
        return Encoding.ASCII.GetString(request, 0, length);
    }

    private static bool Asks(string line, string path) =>
        line.StartsWith($"GET {path} ", StringComparison.Ordinal) || line.StartsWith($"GET {path}?", StringComparison.Ordinal);

    /// <summary>A page and when it was rendered: rendered again only once it is <see cref="PageLifetime"/> old.</summary>
    private sealed class CachedPage(Func<string> render, string contentType)
    {
        private readonly Lock _lock = new();
        private byte[] _page = [];
        private long _at = long.MinValue;

        public byte[] Get()
        {
            lock (_lock)
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                if (_at == long.MinValue || System.Diagnostics.Stopwatch.GetElapsedTime(_at, now) >= PageLifetime)
                {
                    _page = Response("200 OK", render(), contentType);
                    _at = now;
                }
                return _page;
            }
        }
    }

    private const string PrometheusText = "text/plain; version=0.0.4";

    private static byte[] Response(string status, string body, string contentType = PrometheusText)
    {
        var head = $"HTTP/1.0 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n";
        var bytes = new byte[Encoding.ASCII.GetByteCount(head) + Encoding.UTF8.GetByteCount(body)];
        var written = Encoding.ASCII.GetBytes(head, bytes);
        Encoding.UTF8.GetBytes(body, bytes.AsSpan(written));
        return bytes;
    }

    public static IPEndPoint ParseEndpoint(string text)
    {
        if (!IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port == 0)
        {
            throw new FlagException($"--metrics: '{text}' is not ADDRESS:PORT (e.g. 127.0.0.1:9108)");
        }
        // Linux lets a listener bind these, and no scraper could ever connect to it.
        if (NoListenerThere(endpoint.Address) is { } why)
        {
            throw new FlagException($"--metrics {text}: {why}; give an address of this host (e.g. 127.0.0.1:9108)");
        }
        return endpoint;
    }

    private static string? NoListenerThere(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return $"{address} is {address.MapToIPv4()} written as IPv6";
        }
        if (address.IsIPv6Multicast)
        {
            return $"{address} is a multicast address";
        }
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return null;
        }
        var bytes = address.GetAddressBytes();
        return bytes[0] is >= 224 and <= 239 ? $"{address} is a multicast address"
            : address.Equals(IPAddress.Broadcast) ? $"{address} is the broadcast address"
            : null;
    }
}
