using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lethe.Firewall;

/// <summary>
/// A minimal HTTP/1.0 responder for `GET /metrics`, on the address given by --metrics only.
/// No web framework: the firewall stays small and NativeAOT-compiled.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    private static readonly TimeSpan AcceptRetry = TimeSpan.FromSeconds(1);

    private readonly TcpListener _listener;
    private readonly Func<string> _render;

    private MetricsServer(TcpListener listener, Func<string> render)
    {
        _listener = listener;
        _render = render;
    }

    /// <summary>Binds at once, so a port already taken or an address not of this host stops boot with its reason.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static MetricsServer Listen(IPEndPoint endpoint, Func<string> render)
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
        return new MetricsServer(listener, render);
    }

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
            _ = Answer(client, ct);
        }
    }

    public void Dispose() => _listener.Dispose();

    private async Task Answer(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = new byte[2048];
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var read = await stream.ReadAsync(request, timeout.Token);
                var line = Encoding.ASCII.GetString(request, 0, read);
                var found = line.StartsWith("GET /metrics ", StringComparison.Ordinal) || line.StartsWith("GET / ", StringComparison.Ordinal);
                var body = found ? _render() : "not found\n";
                var head = $"HTTP/1.0 {(found ? "200 OK" : "404 Not Found")}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head + body), timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A scraper that went away: nothing to do.
            }
        }
    }

    public static IPEndPoint ParseEndpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new FlagException($"--metrics: '{text}' is not ADDRESS:PORT (e.g. 127.0.0.1:9108)");
}
