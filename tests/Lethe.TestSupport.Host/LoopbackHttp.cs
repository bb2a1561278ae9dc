using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lethe.TestSupport.Host;

/// <summary>
/// A loopback HTTP server of the test's own, for what the control plane would never send (to a
/// firewall, or to `lethe`): each request is read (up to 4 KiB, not parsed) and answered by
/// <c>answer</c>, until disposed.
/// </summary>
public sealed class LoopbackHttp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _serving;

    public LoopbackHttp(Func<NetworkStream, Task> answer)
        : this((_, stream) => answer(stream))
    {
    }

    /// <param name="answer">Given the request's head as read (one read, up to 4 KiB) and the stream to answer on.</param>
    public LoopbackHttp(Func<string, NetworkStream, Task> answer)
    {
        _listener.Start();
        Root = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        Url = $"{Root}/policies/home/snapshots/latest";
        _serving = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    var stream = client.GetStream();
                    var request = new byte[4096];
                    var read = await stream.ReadAtLeastAsync(request, 1, throwOnEndOfStream: false);
                    await answer(Encoding.ASCII.GetString(request, 0, read), stream);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    // The client hung up: serve the next request.
                }
                catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
                {
                    return; // stopped: the test is over
                }
            }
        });
    }

    /// <summary>Where a firewall is pointed: the path of a policy's latest snapshot.</summary>
    public string Url { get; }

    /// <summary>Where `lethe` is pointed (its --server): scheme, address and port.</summary>
    public string Root { get; }

    /// <summary>Writes a response head as given, then the body.</summary>
    public static async Task Write(NetworkStream stream, string head, byte[] body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
