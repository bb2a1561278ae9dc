using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// An unconnected UDP socket in a namespace, on a port of its own: it takes datagrams from anyone,
/// so it shows exactly what the firewall lets through to it, and from whom.
/// </summary>
public sealed class UdpPort : IDisposable
{
    private readonly Socket _socket;

    private UdpPort(Socket socket) => _socket = socket;

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public static UdpPort Open(NetworkNamespace ns, bool v6) => Open(ns, new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0));

    public static UdpPort Open(NetworkNamespace ns, IPEndPoint local)
    {
        var socket = ns.Enter(() => new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        if (local.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = false;
        }
        socket.Bind(local);
        return new UdpPort(socket);
    }

    public async Task Send(IPEndPoint to, string text) => await _socket.SendToAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, to);

    /// <summary>The next datagram within <see cref="Probe.Wait"/>, or <see cref="Seen.Nothing"/>.</summary>
    public async Task<Seen> Receive()
    {
        var buffer = new byte[2048];
        using var timeout = new CancellationTokenSource(Probe.Wait);
        try
        {
            var any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            var got = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, timeout.Token);
            return Seen.Datagram(Encoding.ASCII.GetString(buffer, 0, got.ReceivedBytes), (IPEndPoint)got.RemoteEndPoint);
        }
        catch (OperationCanceledException)
        {
            return Seen.Nothing;
        }
        catch (SocketException e)
        {
            return Seen.Error(e.SocketErrorCode);
        }
    }

    public void Dispose() => _socket.Dispose();
}
