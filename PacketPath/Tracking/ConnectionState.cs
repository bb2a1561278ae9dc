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

    /// <summary>
    /// UDP answered, but not yet active two seconds after it began: a lookup and its replies keep the
    /// short timeout, as in Linux, which gives the stream timeout only to a flow still active then.
    /// </summary>
    UdpReplied,

    /// <summary>UDP answered and still active two seconds or more after it began (Linux's "stream").</summary>
    UdpStream,

    Icmp,

    /// <summary>Any other transport protocol.</summary>
    Generic,
}
