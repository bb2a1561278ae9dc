using System.Net;
using System.Net.Sockets;

namespace Lethe.Control.Tests;

/// <summary>
/// A TCP relay on loopback between the control plane and PostgreSQL, for what a real network does to
/// it: the database going away (<see cref="Down"/>) and a connection lost just after a COMMIT reached
/// the server, before its answer came back (<see cref="CutAfterNextCommit"/>).
/// </summary>
internal sealed class PgRelay : IAsyncDisposable
{
    private static readonly byte[] Commit = "COMMIT\0"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly List<Pair> _pairs = [];
    private readonly Task _accepting;
    private volatile bool _down;
    private volatile bool _cutArmed;
    private volatile bool _cutDone;

    public PgRelay(string upstreamHost, int upstreamPort)
    {
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(Accept);
    }

    public int Port { get; }

    /// <summary>Whether the armed cut happened: a COMMIT went through and its connection was closed unanswered.</summary>
    public bool CutDone => _cutDone;

    /// <summary>Drops every open connection and resets new ones, as a database host that went away.</summary>
    public void Down()
    {
        _down = true;
        Pair[] open;
        lock (_pairs)
        {
            open = [.. _pairs];
            _pairs.Clear();
        }
        foreach (var pair in open)
        {
            pair.Dispose();
        }
    }

    public void Up() => _down = false;

    /// <summary>The next COMMIT reaches PostgreSQL; its answer does not reach the client, whose connection is then closed.</summary>
    public void CutAfterNextCommit() => _cutArmed = true;

    private async Task Accept()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException or InvalidOperationException)
            {
                return; // disposed
            }
            if (_down)
            {
                // A reset, not an orderly close: what a client sees from a host whose database is gone.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => Relay(client));
        }
    }

    private async Task Relay(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(_upstreamHost, _upstreamPort);
        }
        catch (SocketException)
        {
            client.Dispose();
            server.Dispose();
            return;
        }
        var pair = new Pair(client, server);
        lock (_pairs)
        {
            _pairs.Add(pair);
        }
        await Task.WhenAll(ToServer(pair), ToClient(pair));
        lock (_pairs)
        {
            _pairs.Remove(pair);
        }
        pair.Dispose();
    }

    private async Task ToServer(Pair pair)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await pair.Client.ReceiveAsync(buffer);
                if (n == 0)
                {
                    pair.Dispose();
                    return;
                }
                var cut = _cutArmed && buffer.AsSpan(0, n).IndexOf(Commit) >= 0;
                if (cut)
                {
                    _cutArmed = false;
                    pair.Swallowing = true;
                }
                await pair.Server.SendAsync(buffer.AsMemory(0, n));
                if (cut)
                {
                    // Long enough for PostgreSQL to commit and answer; the answer is dropped on the way.
                    await Task.Delay(500);
                    _cutDone = true;
                    pair.Dispose();
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            pair.Dispose();
        }
    }

    private static async Task ToClient(Pair pair)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await pair.Server.ReceiveAsync(buffer);
                if (n == 0)
                {
                    pair.Dispose();
                    return;
                }
                if (!pair.Swallowing)
                {
                    await pair.Client.SendAsync(buffer.AsMemory(0, n));
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            pair.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        Down();
    }

    private sealed class Pair(Socket client, Socket server) : IDisposable
    {
        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        public volatile bool Swallowing;

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
