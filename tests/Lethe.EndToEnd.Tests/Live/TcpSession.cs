using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>A TCP connection from a namespace to an echo server, kept open so a test can use it again later (an established flow).</summary>
public sealed class TcpSession : IDisposable
{
    private readonly Socket _socket;

    private TcpSession(Socket socket, Seen? connected)
    {
        _socket = socket;
        Connected = connected;
    }

    /// <summary>The session's own address and port, as the firewall sees them come from the client.</summary>
    public IPEndPoint Local => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Null when connected; otherwise what the connect saw.</summary>
    public Seen? Connected { get; }

    public static async Task<TcpSession> Open(NetworkNamespace from, IPAddress to, int port)
    {
        var socket = from.Enter(() => new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(Probe.Wait);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(to, port), timeout.Token);
            return new TcpSession(socket, null);
        }
        catch (SocketException e)
        {
            return new TcpSession(socket, Seen.Error(e.SocketErrorCode));
        }
        catch (OperationCanceledException)
        {
            return new TcpSession(socket, Seen.Nothing);
        }
    }

    /// <summary>Opens a session that must connect; the message names the flow when it does not.</summary>
    public static async Task<TcpSession> Require(NetworkNamespace from, IPAddress to, int port, string flow)
    {
        var session = await Open(from, to, port);
        if (session.Connected is { } failure)
        {
            session.Dispose();
            Assert.Fail($"{flow}: the connection should be allowed, but the connect saw {failure}");
        }
        return session;
    }

    /// <summary>Sends <paramref name="text"/> and waits for it to come back whole.</summary>
    public async Task<Seen> Echo(string text)
    {
        var payload = Encoding.ASCII.GetBytes(text);
        var back = new byte[payload.Length];
        using var timeout = new CancellationTokenSource(Probe.Wait);
        try
        {
            await _socket.SendAsync(payload, SocketFlags.None, timeout.Token);
            for (var read = 0; read < back.Length;)
            {
                var n = await _socket.ReceiveAsync(back.AsMemory(read), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    return new Seen($"the connection closed after {read} of {back.Length} bytes");
                }
                read += n;
            }
            return back.AsSpan().SequenceEqual(payload) ? Seen.Echoed : new Seen("bytes that are not the ones sent");
        }
        catch (SocketException e)
        {
            return Seen.Error(e.SocketErrorCode);
        }
        catch (OperationCanceledException)
        {
            return Seen.Nothing;
        }
    }

    public Socket Socket => _socket;

    public void Dispose() => _socket.Dispose();
}
