using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// A UDP echo server on one port of each of the given addresses, inside a namespace; remembers
/// every sender it saw. One socket per address, not one on the wildcard: a wildcard socket answers
/// from whatever source the route picks, and the firewall rightly drops an answer that comes from
/// another address than the one the client asked.
/// </summary>
public sealed class UdpEcho : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];

    private UdpEcho(int port) => Port = port;

    public int Port { get; }

    public ConcurrentQueue<IPEndPoint> Senders { get; } = new();

    /// <param name="addresses">Addresses the namespace holds now; a socket stays bound to its address while the address is gone and back.</param>
    public static UdpEcho Start(NetworkNamespace ns, int port, params IPAddress[] addresses)
    {
        var echo = new UdpEcho(port);
        try
        {
            foreach (var address in addresses)
            {
                var socket = ns.Enter(() => new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
                echo._sockets.Add(socket);
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.DualMode = false;
                }
                socket.Bind(new IPEndPoint(address, port));
                _ = echo.Loop(socket, address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
            }
            return echo;
        }
        catch
        {
            echo.Dispose();
            throw;
        }
    }

    private async Task Loop(Socket socket, IPAddress any)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(any, 0), _stop.Token);
                var sender = (IPEndPoint)got.RemoteEndPoint;
                Senders.Enqueue(sender);
                try
                {
                    await socket.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), SocketFlags.None, sender, _stop.Token);
                }
                catch (SocketException)
                {
                    // No route back (the firewall's device is gone): the sender sees no answer, which is what the test looks at.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed: the test is over.
        }
    }

    /// <summary>Sends from the server's own port on <paramref name="from"/>: a datagram that looks exactly like an answer of this server there.</summary>
    public async Task SendFrom(IPAddress from, IPEndPoint to, string text)
    {
        var socket = _sockets.Single(s => ((IPEndPoint)s.LocalEndPoint!).Address.Equals(from));
        await socket.SendToAsync(System.Text.Encoding.ASCII.GetBytes(text), SocketFlags.None, to);
    }

    /// <summary>The first sender of <paramref name="family"/> after the first <paramref name="skip"/> seen, once it arrived (or null within <see cref="Probe.Wait"/>).</summary>
    public async Task<IPEndPoint?> SenderAfter(int skip, AddressFamily family)
    {
        var deadline = DateTime.UtcNow + Probe.Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (Senders.Skip(skip).FirstOrDefault(s => s.AddressFamily == family) is { } sender)
            {
                return sender;
            }
            await Task.Delay(20);
        }
        return null;
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        _stop.Dispose();
    }
}
