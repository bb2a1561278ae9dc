using System.Net;
using System.Net.Sockets;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>
/// A TUN device opened inside a network namespace of the test's own, holding 10.201.N.1/24 and
/// 2001:db8:N::1/64 (N random), up. The test plays the peer: 10.201.N.2 and 2001:db8:N::2, reached
/// through the device. Dispose closes the device, then deletes the namespace, also after a failure.
/// </summary>
internal sealed class TunLab : IDisposable
{
    private TunLab(NetworkNamespace ns, TunDevice tun, int subnet)
    {
        Namespace = ns;
        Tun = tun;
        Local4 = $"10.201.{subnet}.1";
        Peer4 = $"10.201.{subnet}.2";
        Local6 = $"2001:db8:{subnet:x}::1";
        Peer6 = $"2001:db8:{subnet:x}::2";
    }

    public NetworkNamespace Namespace { get; }
    public TunDevice Tun { get; }
    public string Local4 { get; }
    public string Peer4 { get; }
    public string Local6 { get; }
    public string Peer6 { get; }

    public string Local(bool v6) => v6 ? Local6 : Local4;

    public string Peer(bool v6) => v6 ? Peer6 : Peer4;

    public static TunLab Open(TunOptions? options = null)
    {
        var ns = NetworkNamespace.Create();
        TunDevice? tun = null;
        try
        {
            var name = $"lt{Random.Shared.Next():x8}";
            tun = ns.Enter(() => TunDevice.Open(name, options ?? new TunOptions()));
            var subnet = Random.Shared.Next(1, 255);
            ns.Ip("addr", "add", $"10.201.{subnet}.1/24", "dev", tun.Name);
            // nodad: usable at once, without waiting for duplicate address detection.
            ns.Ip("addr", "add", $"2001:db8:{subnet:x}::1/64", "dev", tun.Name, "nodad");
            ns.Ip("link", "set", tun.Name, "up");
            return new TunLab(ns, tun, subnet);
        }
        catch
        {
            tun?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    /// <summary>A socket in the namespace.</summary>
    public Socket Socket(bool v6, SocketType type, ProtocolType protocol) =>
        Namespace.Enter(() => new Socket(v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, type, protocol));

    public IPEndPoint PeerEndPoint(bool v6, int port) => new(IPAddress.Parse(Peer(v6)), port);

    /// <summary>
    /// Reads until a packet that parses and matches arrives on <paramref name="queue"/>, skipping the
    /// namespace's own chatter (router solicitations, MLD). After <paramref name="timeoutMs"/> the
    /// device is disposed to end the read, and the test fails.
    /// </summary>
    public Received ReadWhere(Func<Received, bool> match, int queue = 0, int timeoutMs = 5000)
    {
        var buffer = new byte[Tun.MaxReadLength];
        var skip = Tun.HasVirtioHeader ? VirtioNetHeader.Size : 0;
        using var watchdog = new Timer(_ => Tun.Dispose(), null, timeoutMs, Timeout.Infinite);
        while (true)
        {
            var length = Tun.Read(queue, buffer);
            if (length == 0)
            {
                Assert.Fail($"no matching packet on {Tun.Name} queue {queue} within {timeoutMs} ms");
            }
            Assert.True(length >= skip, $"a {length}-byte read is shorter than the virtio header");
            var header = skip == 0 ? VirtioNetHeader.None : VirtioNetHeader.Read(buffer);
            var packet = buffer[skip..length];
            if (PacketParser.TryParse(packet, out var info, out _))
            {
                var received = new Received(header, packet, info);
                if (match(received))
                {
                    return received;
                }
            }
        }
    }

    /// <summary>Writes one packet as the peer, after <paramref name="header"/> when the device has the virtio header.</summary>
    public void Write(VirtioNetHeader header, byte[] packet, int queue = 0) =>
        Tun.Write(queue, Tun.HasVirtioHeader ? Offloaded.Frame(header, packet) : packet);

    /// <summary>
    /// Connects a TCP socket in the namespace to the peer's <paramref name="peerPort"/> and plays
    /// the peer's side of the handshake through the device (MSS 1460 or 1440, no window scaling).
    /// Returns the socket, its port and both sides' next sequence numbers.
    /// </summary>
    public (Socket Client, ushort Port, uint ClientNext, uint PeerNext) Handshake(bool v6, ushort peerPort = 80)
    {
        var client = Socket(v6, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            var connect = client.ConnectAsync(PeerEndPoint(v6, peerPort));
            var syn = ReadWhere(r => r.Info.Protocol == IpProtocol.Tcp && r.Info.DestinationPort == peerPort && r.Info.TcpFlags == (byte)TcpFlags.Syn);
            var clientNext = syn.Tcp.SequenceNumber + 1;
            const uint PeerInitial = 7000;
            var mss = (ushort)(v6 ? 1440 : 1460);
            Write(VirtioNetHeader.None, Packets.Tcp(Peer(v6), Local(v6), peerPort, syn.Info.SourcePort, TcpFlags.Syn | TcpFlags.Ack, sequence: PeerInitial, acknowledgement: clientNext, tcpOptions: [2, 4, (byte)(mss >> 8), (byte)mss]));
            Assert.True(connect.Wait(5000), "the namespace's socket did not take the SYN-ACK");
            return (client, syn.Info.SourcePort, clientNext, PeerInitial + 1);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            Tun.Dispose();
        }
        finally
        {
            Namespace.Dispose();
        }
    }
}
