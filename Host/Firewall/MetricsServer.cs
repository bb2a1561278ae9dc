using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lethe.Firewall;

/// <summary>
/// A minimal HTTP/1.0 responder for `GET /metrics`, on the address given by --metrics only.
/// No web framework: the firewall stays small and NativeAOT-compiled.
/// </summary>
public sealed class MetricsServer(IPEndPoint endpoint, Func<string> render)
{
    public async Task Run(CancellationToken ct)
    {
        using var listener = new TcpListener(endpoint);
        listener.Start();
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Answer(client, ct);
        }
    }

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
                var body = found ? render() : "not found\n";
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
