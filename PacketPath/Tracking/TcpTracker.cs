namespace Lethe.PacketPath.Tracking;

/// <summary>
/// The TCP state machine of <see cref="ConnectionTable"/>, after Linux's tcp_conntracks table
/// (net/netfilter/nf_conntrack_proto_tcp.c). It sees only segments <see cref="TcpWindow"/> let
/// through, and works from flags alone: it tells the two closing FINs apart by direction, so
/// <see cref="Closing"/> records which side sent a FIN and which sent the first one.
/// </summary>
internal static class TcpTracker
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;

    /// <summary>
    /// Whether a segment's flags are a combination TCP sends, after Linux's tcp_valid_flags (PSH, ECE
    /// and CWR aside): a bare FIN, for one, needs no acknowledgement to guess, and would start closing
    /// an idle flow that then expires.
    /// </summary>
    public static bool ValidFlags(byte tcpFlags) => (tcpFlags & (Fin | Syn | Rst | Ack | Urg)) switch
    {
        Syn or (Syn | Urg) or (Syn | Ack) or Rst or (Rst | Ack) or (Fin | Ack) or (Fin | Ack | Urg) or Ack or (Ack | Urg) => true,
        _ => false,
    };

    [Flags]
    public enum Closing : byte
    {
        None = 0,
        FinFromOriginal = 1,
        FinFromReply = 2,
        FirstFinFromReply = 4,
    }

    /// <summary>
    /// Whether a segment of no tracked flow may start one: a SYN without ACK, or an ACK without SYN,
    /// FIN or RST, a flow picked up in the middle (after a restart, which forgets everything), as
    /// Linux's conntrack does with nf_conntrack_tcp_loose=1. Anything else is what it calls invalid:
    /// a scan's probe, or the tail of a flow already gone.
    /// </summary>
    public static bool CanOpen(byte tcpFlags) =>
        (tcpFlags & (Syn | Ack | Fin | Rst)) is Syn or Ack;

    /// <summary>The state of a flow whose first packet carried <paramref name="tcpFlags"/>.</summary>
    public static ConnectionState Open(byte tcpFlags, out Closing closing)
    {
        closing = Closing.None;
        if ((tcpFlags & Rst) != 0)
        {
            return ConnectionState.Close;
        }
        if ((tcpFlags & Syn) != 0)
        {
            return (tcpFlags & Ack) == 0 ? ConnectionState.SynSent : ConnectionState.SynReceived;
        }
        if ((tcpFlags & Fin) != 0)
        {
            closing = Closing.FinFromOriginal;
            return ConnectionState.FinWait;
        }
        // A flow picked up in the middle (after a restart, which forgets everything) continues as
        // established, as Linux does with nf_conntrack_tcp_loose=1.
        return ConnectionState.Established;
    }

    public static ConnectionState Next(ConnectionState state, ref Closing closing, bool isReply, byte tcpFlags)
    {
        if ((tcpFlags & Rst) != 0)
        {
            return ConnectionState.Close;
        }
        if ((tcpFlags & Syn) != 0)
        {
            return OnSyn(state, isReply);
        }
        if ((tcpFlags & Fin) != 0)
        {
            return OnFin(state, ref closing, isReply);
        }
        if ((tcpFlags & Ack) != 0)
        {
            return OnAck(state, closing, isReply);
        }
        return state;
    }

    /// <summary>
    /// A fresh SYN on a tuple whose flow has closed: a new connection, which Linux's conntrack starts
    /// as one (it kills the old entry and looks the packet up again, so the rules judge it). The old
    /// entry must go before the segment is handled. From the answering side only in TIME_WAIT (the
    /// roles may have switched, RFC 1122 §4.2.2.13); in CLOSE its SYN is a guess (Linux: invalid),
    /// which would otherwise end the flow at once. Flags no TCP sends (a SYN with FIN) reopen nothing:
    /// Linux drops them before it looks at the flow, whose last segments must still pass.
    /// </summary>
    public static bool Reopens(ConnectionState state, bool isReply, byte tcpFlags) =>
        (tcpFlags & (Syn | Ack | Rst)) == Syn && ValidFlags(tcpFlags)
        && (state == ConnectionState.TimeWait || (state == ConnectionState.Close && !isReply));

    private static ConnectionState OnSyn(ConnectionState state, bool isReply)
    {
        // SYN-ACK answering the SYN, or a SYN crossing it (simultaneous open).
        if (isReply && state == ConnectionState.SynSent)
        {
            return ConnectionState.SynReceived;
        }
        return state;
    }

    private static ConnectionState OnFin(ConnectionState state, ref Closing closing, bool isReply)
    {
        if (state is not (ConnectionState.SynReceived or ConnectionState.Established
            or ConnectionState.FinWait or ConnectionState.CloseWait))
        {
            return state;
        }
        if ((closing & (Closing.FinFromOriginal | Closing.FinFromReply)) == 0 && isReply)
        {
            closing |= Closing.FirstFinFromReply;
        }
        closing |= isReply ? Closing.FinFromReply : Closing.FinFromOriginal;
        if ((closing & (Closing.FinFromOriginal | Closing.FinFromReply)) == (Closing.FinFromOriginal | Closing.FinFromReply))
        {
            return ConnectionState.LastAck;
        }
        // One side's FIN (or its retransmission): keep CLOSE_WAIT if the peer already acked it.
        return state == ConnectionState.CloseWait ? ConnectionState.CloseWait : ConnectionState.FinWait;
    }

    private static ConnectionState OnAck(ConnectionState state, Closing closing, bool isReply)
    {
        var firstCloserIsReply = (closing & Closing.FirstFinFromReply) != 0;
        return state switch
        {
            // The third packet of the handshake.
            ConnectionState.SynReceived when !isReply => ConnectionState.Established,
            // The peer of the side that closed acknowledges its FIN.
            ConnectionState.FinWait when isReply != firstCloserIsReply => ConnectionState.CloseWait,
            // The first closer acknowledges the second FIN.
            ConnectionState.LastAck when isReply == firstCloserIsReply => ConnectionState.TimeWait,
            _ => state,
        };
    }
}
