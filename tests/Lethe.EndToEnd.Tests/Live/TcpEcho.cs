using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A TCP echo server on one port, IPv4 and IPv6, inside a namespace: sends back every byte it gets
/// and remembers, per connection, whom it saw connecting and the SHA-256 of what arrived.
/// </summary>
public sealed class TcpEcho : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _listeners = [];
    private readonly ConcurrentBag<Socket> _connections = [];

    private TcpEcho(int port) => Port = port;

    public int Port { get; }

    public ConcurrentQueue<EchoedConnection> Accepted { get; } = new();

    public static TcpEcho Start(NetworkNamespace ns, int port)
    {
        var echo = new TcpEcho(port);
        try
        {
            foreach (var any in new[] { IPAddress.Any, IPAddress.IPv6Any })
            {
                var listener = ns.Enter(() => new Socket(any.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
                echo._listeners.Add(listener);
                if (any.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    listener.DualMode = false;
                }
                listener.Bind(new IPEndPoint(any, port));
                listener.Listen(64);
                _ = echo.AcceptLoop(listener);
            }
            return echo;
        }
        catch
        {
            echo.Dispose();
            throw;
        }
    }

    private async Task AcceptLoop(Socket listener)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync(_stop.Token);
                _connections.Add(connection);
                var done = new TaskCompletionSource<Received>(TaskCreationOptions.RunContinuationsAsynchronously);
                Accepted.Enqueue(new EchoedConnection((IPEndPoint)connection.RemoteEndPoint!, done.Task));
                _ = Echo(connection, done);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed: the test is over.
        }
    }

    private async Task Echo(Socket connection, TaskCompletionSource<Received> done)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long total = 0;
        try
        {
            while (true)
            {
                var n = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }
                sha.AppendData(buffer, 0, n);
                total += n;
                for (var sent = 0; sent < n;)
                {
                    sent += await connection.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, _stop.Token);
                }
            }
            connection.Shutdown(SocketShutdown.Send);
            done.TrySetResult(new Received(total, Convert.ToHexString(sha.GetHashAndReset())));
        }
        catch (Exception e)
        {
            done.TrySetException(e);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var socket in _listeners.Concat(_connections))
        {
            socket.Dispose();
        }
        _stop.Dispose();
    }
}

/// <summary>One connection the echo server accepted: the peer it saw, and (at the client's end of stream) what arrived.</summary>
public sealed record EchoedConnection(IPEndPoint Peer, Task<Received> Finished);

public sealed record Received(long Bytes, string Sha256);
