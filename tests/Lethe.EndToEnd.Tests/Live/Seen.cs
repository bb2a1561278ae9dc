using System.Net.Sockets;

namespace Lethe.EndToEnd.Tests.Live;

/// <summary>What one side of a flow saw, in words a failure message can show as they are.</summary>
public readonly record struct Seen(string What)
{
    public static readonly Seen Echoed = new("echoed");

    public static readonly Seen Nothing = new("nothing arrived");

    public static readonly Seen PingReply = new("ping: echo reply");

    public static readonly Seen PingProhibited = new("ping: administratively prohibited");

    public static readonly Seen PingNoReply = new("ping: no reply");

    public static Seen Datagram(string text, System.Net.IPEndPoint from) => new($"datagram \"{text}\" from {from}");

    public static Seen Error(SocketError error) => new($"socket error {error}");

    /// <summary>
    /// How Linux hands ICMP administratively prohibited to a socket: EHOSTUNREACH for IPv4 (type 3
    /// code 13), EACCES for IPv6 (type 1 code 1), so that is what a user's program sees.
    /// </summary>
    public static Seen AdminProhibited(bool v6) => Error(v6 ? SocketError.AccessDenied : SocketError.HostUnreachable);

    /// <summary>A TCP reset answers the connect: a reject rule.</summary>
    public static readonly Seen Reset = Error(SocketError.ConnectionRefused);

    public override string ToString() => What;
}
