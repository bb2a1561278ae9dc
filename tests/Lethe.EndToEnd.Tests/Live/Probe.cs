using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>
/// One try of a flow from inside a namespace, as a user's program would make it, reduced to what
/// it saw. A probe waits <see cref="Wait"/> for an answer; probes run side by side, so a check of
/// many flows that should stay silent costs that wait once.
/// </summary>
public static class Probe
{
    // Linux's <linux/in.h>: IPPROTO_IP's IP_MTU_DISCOVER, and IP_PMTUDISC_DONT (never set DF).
    private const int IpProtocolLevel = 0;
    private const int IpMtuDiscover = 10;
    private const int PmtuDiscoveryDont = 0;

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    /// <summary>Connects, sends a line, reads it back, closes.</summary>
    public static async Task<Seen> TcpEcho(NetworkNamespace from, IPAddress to, int port)
    {
        using var session = await TcpSession.Open(from, to, port);
        return session.Connected is { } failure ? failure : await session.Echo("hello " + port);
    }

    /// <summary>
    /// A connected UDP socket sends one datagram and waits for the echo, or for the ICMP error Linux
    /// reports on it. A <paramref name="size"/> over the MTU makes the sending host fragment it (and the echo its answer).
    /// </summary>
    /// <param name="dontFragment">
    /// False: an IPv4 socket that never sets DF (IP_PMTUDISC_DONT), so a router on the way must cut a datagram too big for
    /// its next link; by default Linux sets DF on a datagram that fits the path MTU it knows.
    /// </param>
    public static async Task<Seen> UdpEcho(NetworkNamespace from, IPAddress to, int port, int size = 0, bool dontFragment = true)
    {
        using var socket = from.Enter(() => new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        if (!dontFragment)
        {
            socket.SetRawSocketOption(IpProtocolLevel, IpMtuDiscover, BitConverter.GetBytes(PmtuDiscoveryDont));
        }
        using var timeout = new CancellationTokenSource(Wait);
        var payload = size > 0 ? RandomNumberGenerator.GetBytes(size) : Encoding.ASCII.GetBytes($"udp to {to}:{port}");
        try
        {
            await socket.ConnectAsync(new IPEndPoint(to, port), timeout.Token);
            await socket.SendAsync(payload, SocketFlags.None, timeout.Token);
            var buffer = new byte[65536];
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return buffer.AsSpan(0, n).SequenceEqual(payload) ? Seen.Echoed : new Seen($"{n} bytes that are not the datagram sent");
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

    /// <summary>One ping with iputils' ping, as a user would type it; <paramref name="size"/> is its -s (data bytes).</summary>
    public static Task<Seen> Ping(NetworkNamespace from, IPAddress to, int size = 56) => Task.Run(() =>
    {
        var family = to.AddressFamily == AddressFamily.InterNetworkV6 ? "-6" : "-4";
        var (code, output) = Command.Execute("ip", "netns", "exec", from.Name, "ping", family, "-n", "-c", "1", "-s", size.ToString(), "-W", ((int)Wait.TotalSeconds).ToString(), to.ToString());
        if (code == 0)
        {
            return Seen.PingReply;
        }
        // iputils prints "Packet filtered" for ICMP type 3 code 13 and "Administratively prohibited" for ICMPv6 type 1 code 1.
        if (output.Contains("Packet filtered", StringComparison.Ordinal) || output.Contains("Administratively prohibited", StringComparison.Ordinal))
        {
            return Seen.PingProhibited;
        }
        return output.Contains(" 0 received", StringComparison.Ordinal) && !output.Contains("error", StringComparison.Ordinal)
            ? Seen.PingNoReply
            : new Seen($"ping exited {code}: {output.ReplaceLineEndings(" | ").Trim()}");
    });
}
