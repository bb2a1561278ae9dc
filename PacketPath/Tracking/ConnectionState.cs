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
    /// UDP answered, nothing after the answer yet: a lookup and its reply keep the short timeout, as
    /// in Linux, which gives the stream timeout only to a flow still active after its first seconds.
    /// </summary>
    UdpReplied,

    /// <summary>UDP with traffic in both directions that went on after the first answer (Linux's "stream").</summary>
    UdpStream,

    Icmp,

    /// <summary>Any other transport protocol.</summary>
    Generic,
}
