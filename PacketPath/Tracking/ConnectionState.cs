namespace Lethe.PacketPath.Tracking;

/// <summary>
/// Where a tracked flow is in its life; each state has its own timeout in
/// <see cref="ConnectionTimeouts"/>. The TCP states follow Linux's nf_conntrack_proto_tcp.c.
/// </summary>
public enum ConnectionState : byte
{
    SynSent,
    SynReceived,
    Established,
    FinWait,
    CloseWait,
    LastAck,
    TimeWait,
    Close,

    /// <summary>UDP, nothing seen from the other side yet.</summary>
    UdpUnreplied,

    /// <summary>UDP with traffic in both directions (Linux's "stream").</summary>
    UdpStream,

    Icmp,

    /// <summary>Any other transport protocol.</summary>
    Generic,
}
