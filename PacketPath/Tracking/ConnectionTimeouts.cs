namespace Lethe.PacketPath.Tracking;

/// <summary>
/// How long a flow may stay idle in each state before it is forgotten. The defaults are Linux's
/// (Documentation/networking/nf_conntrack-sysctl.rst: nf_conntrack_tcp_timeout_*,
/// nf_conntrack_udp_timeout[_stream], nf_conntrack_icmp_timeout, nf_conntrack_generic_timeout).
/// </summary>
public sealed record ConnectionTimeouts
{
    public static ConnectionTimeouts Default { get; } = new();

    public TimeSpan SynSent { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan SynReceived { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Five days, as Linux; firewalls with little memory often set hours instead.</summary>
    public TimeSpan Established { get; init; } = TimeSpan.FromSeconds(432_000);

    public TimeSpan FinWait { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan CloseWait { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan LastAck { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan Close { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan UdpUnreplied { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan UdpStream { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan Icmp { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Generic { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// The longest a TCP flow is kept idle, in any state, while no packet has come from its other side
    /// or data one side sent is not yet acknowledged (Linux's nf_conntrack_tcp_timeout_unacknowledged):
    /// a peer that vanished with data in flight does not hold its entry and NAT port for days.
    /// </summary>
    public TimeSpan TcpUnacknowledged { get; init; } = TimeSpan.FromSeconds(300);

    public TimeSpan For(ConnectionState state) => state switch
    {
        ConnectionState.SynSent => SynSent,
        ConnectionState.SynReceived => SynReceived,
        ConnectionState.Established => Established,
        ConnectionState.FinWait => FinWait,
        ConnectionState.CloseWait => CloseWait,
        ConnectionState.LastAck => LastAck,
        ConnectionState.TimeWait => TimeWait,
        ConnectionState.Close => Close,
        ConnectionState.UdpUnreplied or ConnectionState.UdpReplied => UdpUnreplied,
        ConnectionState.UdpStream => UdpStream,
        ConnectionState.Icmp => Icmp,
        ConnectionState.Generic => Generic,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown connection state."),
    };
}
