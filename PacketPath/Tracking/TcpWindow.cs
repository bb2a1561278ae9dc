namespace Lethe.PacketPath.Tracking;

/// <summary>What the tracker knows of one side of a TCP flow's sequence space.</summary>
internal struct TcpSide
{
    /// <summary>The highest sequence number this side has sent, plus one (its segments' ends).</summary>
    public uint End;

    /// <summary>The highest sequence number the other side's windows allow this side to reach.</summary>
    public uint MaxEnd;

    /// <summary>The largest window this side has advertised (scaled); 0 until its first segment.</summary>
    public uint MaxWindow;

    /// <summary>
    /// The highest acknowledgement this side has sent (with <see cref="TcpSideFlags.AckSeen"/>): where the
    /// other side's exact reset must start; or, with <see cref="TcpSideFlags.StaleAckPassed"/>, the one its stale ACK carried.
    /// </summary>
    public uint MaxAck;

    /// <summary>The end of a SYN this side sent on a tuple already established (with <see cref="TcpSideFlags.SynPending"/>), until the next segment.</summary>
    public uint SynEnd;

    /// <summary>That SYN's window, from which a SYN-ACK answering it starts this side afresh.</summary>
    public ushort SynWindow;

    // Scale and SynScale, 0 to 14 each, share a byte, so that the side (and the flow's entry) stays its size.
    private byte _scales;

    public TcpSideFlags Flags;

    /// <summary>The shift applied to the windows this side advertises (RFC 7323), once both offered one.</summary>
    public byte Scale
    {
        readonly get => (byte)(_scales & 0x0F);
        set => _scales = (byte)((_scales & 0xF0) | value);
    }

    /// <summary>The shift that SYN offered (with <see cref="TcpSideFlags.SynOffersScale"/>).</summary>
    public byte SynScale
    {
        readonly get => (byte)(_scales >> 4);
        set => _scales = (byte)((_scales & 0x0F) | (value << 4));
    }
}

[Flags]
internal enum TcpSideFlags : byte
{
    None = 0,

    /// <summary>Its SYN offered window scaling.</summary>
    OffersScale = 1,

    /// <summary>
    /// The flow was picked up in the middle (after a restart, which forgets everything): its history
    /// (its window scale, above all) is unknown, so a segment outside the window this side knows
    /// still passes, as Linux lets it with nf_conntrack_tcp_loose; only the window bounds are loosened.
    /// </summary>
    Liberal = 2,

    /// <summary>It has sent an acknowledgement: <see cref="TcpSide.MaxAck"/> holds.</summary>
    AckSeen = 4,

    /// <summary>It sent a SYN on a tuple already established (a restarted client reusing its port): <see cref="TcpSide.SynEnd"/> holds.</summary>
    SynPending = 8,

    /// <summary>It has sent data (or a SYN or FIN) the other side has not acknowledged yet.</summary>
    DataUnacknowledged = 16,

    /// <summary>
    /// It answered the client's SYN with a bare ACK (a connection it still holds on this tuple), which
    /// was passed: until the next segment, <see cref="TcpSide.MaxAck"/> holds that ACK's number, where
    /// the client's reset of the stale connection starts. <see cref="AckSeen"/> is not set by it.
    /// </summary>
    StaleAckPassed = 32,

    /// <summary>The SYN of <see cref="SynPending"/> offered window scaling: <see cref="TcpSide.SynScale"/> holds.</summary>
    SynOffersScale = 64,
}

/// <summary>What a tracked flow does with one TCP segment.</summary>
internal enum TcpCheck : byte
{
    /// <summary>Outside the window: dropped, and nothing changes.</summary>
    Refuse,

    /// <summary>Inside the window: forwarded, and the flow's state moves on.</summary>
    Accept,

    /// <summary>
    /// Forwarded, but the state does not move: a reset inside the window that does not start exactly
    /// where the other side acknowledged (RFC 5961: its receiver answers with a challenge ACK rather
    /// than close, so a blind reset cannot end the flow here either), a SYN on an established tuple,
    /// or a FIN of a flow picked up midway that neither the window bounds nor the acknowledged point place.
    /// </summary>
    Pass,

    /// <summary>The SYN-ACK answering a SYN sent on an established tuple: the tuple carries a new connection from here.</summary>
    Resync,

    /// <summary>
    /// Forwarded, and neither the state nor the timeout moves: a reset of a flow picked up midway, from
    /// past what the firewall knows of its windows, that <see cref="Pass"/> would pass. It may lie outside
    /// the receiver's real window too, and then the receiver drops it without a challenge ACK (RFC 5961
    /// §3.2): nothing would follow to show the flow lives, so a timeout cut for it would end an idle flow.
    /// </summary>
    Ignore,

    /// <summary>What conntrack calls invalid in this state whatever its numbers: dropped, and nothing changes.</summary>
    Invalid,
}

/// <summary>
/// Sequence-window checks after Linux's tcp_in_window (net/netfilter/nf_conntrack_proto_tcp.c,
/// "Real Stateful TCP Packet Filtering in IP Filter", Rooij): a segment of a tracked flow passes
/// only when it starts inside the window the other side advertised, does not end further back than
/// one window, and acknowledges nothing that was never sent nor anything too far back. So a packet
/// that guesses a flow's addresses and ports but not its sequence numbers (a blind reset or
/// injection from the uplink) neither reaches the client nor changes the flow's state.
/// SACK blocks are not read, which only makes the acknowledgement checks more lenient.
/// </summary>
internal static class TcpWindow
{
    /// <summary>How far back an acknowledgement may lag at least; Linux's MAXACKWINCONST.</summary>
    private const uint MinAckWindow = 66_000;

    /// <summary>Whether a flow's first packet shows its start (a SYN without ACK); any other start is taken up liberally.</summary>
    public static TcpSideFlags FlagsForFirst(byte tcpFlags) =>
        (tcpFlags & (TcpTracker.Syn | TcpTracker.Ack | TcpTracker.Rst)) == TcpTracker.Syn ? TcpSideFlags.None : TcpSideFlags.Liberal;

    /// <summary>
    /// What <paramref name="segment"/>, sent by <paramref name="sender"/> to
    /// <paramref name="receiver"/> in a flow now in <paramref name="state"/>, does (see
    /// <see cref="TcpCheck"/>); both sides are updated unless it is refused or invalid.
    /// </summary>
    public static TcpCheck Accept(ref TcpSide sender, ref TcpSide receiver, in TcpSample segment, ConnectionState state, bool isReply)
    {
        // Worked on copies, so that a refused segment (a forged SYN-ACK, say) leaves no trace, nor one found
        // invalid, whatever Advance had learnt from it before it knew.
        var s = sender;
        var r = receiver;
        var check = Advance(ref s, ref r, segment, state, isReply);
        if (check is not (TcpCheck.Refuse or TcpCheck.Invalid))
        {
            sender = s;
            receiver = r;
        }
        return check;
    }

    private static TcpCheck Advance(ref TcpSide sender, ref TcpSide receiver, in TcpSample segment, ConnectionState state, bool isReply)
    {
        var flags = segment.Flags;
        var syn = (flags & TcpTracker.Syn) != 0;
        var seq = segment.Sequence;
        var end = segment.End;
        var win = (uint)segment.Window;

        if (state == ConnectionState.SynSent && (flags & (TcpTracker.Syn | TcpTracker.Rst | TcpTracker.Fin)) == TcpTracker.Fin)
        {
            // A FIN while the client's SYN is unanswered, from either end (Linux: invalid in SYN_SENT): there is
            // no connection yet for it to close, and a client in SYN-SENT drops it (RFC 9293 §3.10.7.3).
            return TcpCheck.Invalid;
        }
        if (!isReply && (flags & (TcpTracker.Syn | TcpTracker.Ack | TcpTracker.Rst)) == TcpTracker.Syn
            && (state is ConnectionState.Established or ConnectionState.FinWait or ConnectionState.CloseWait or ConnectionState.LastAck
                || (state == ConnectionState.SynReceived && end != sender.End)))
        {
            // A new connection on a tuple still established (a client restarted and reused its port; only
            // the side that opened the flow can send on its original direction), or one whose SYN-ACK never
            // reached the client, which tries again with a new initial sequence number. As Linux does (in
            // SYN_RECV; in a simultaneous open's SYN_SENT2 conntrack drops it, README "Where TCP differs"), it
            // passes and changes nothing; the server's SYN-ACK to it resynchronises the flow, or its
            // challenge ACK draws the client's exact reset, which closes it.
            sender.SynEnd = end;
            sender.SynWindow = segment.Window;
            sender.SynScale = (byte)Math.Max((int)segment.WindowScale, 0);
            sender.Flags = segment.WindowScale >= 0
                ? sender.Flags | TcpSideFlags.SynPending | TcpSideFlags.SynOffersScale
                : (sender.Flags | TcpSideFlags.SynPending) & ~TcpSideFlags.SynOffersScale;
            return TcpCheck.Pass;
        }
        if (isReply && (flags & (TcpTracker.Rst | TcpTracker.Ack)) == (TcpTracker.Rst | TcpTracker.Ack)
            && (receiver.Flags & TcpSideFlags.SynPending) != 0 && segment.Acknowledgement == receiver.SynEnd)
        {
            // The server refuses that SYN (nothing listens any more): the old connection is gone on both
            // ends, and the client hears "refused" at once instead of retrying into the stale flow.
            return TcpCheck.Accept;
        }
        if (isReply && syn && (flags & TcpTracker.Ack) != 0 && (receiver.Flags & TcpSideFlags.SynPending) != 0
            && segment.Acknowledgement == receiver.SynEnd)
        {
            // The server took that SYN as a new connection: the client's side starts afresh from that SYN, as
            // conntrack restores it from what it noted, and this SYN-ACK is judged as the answer to it, so the
            // new connection is held to its windows as any other (followed loosely, a blind segment would pass).
            var client = default(TcpSide);
            client.End = client.MaxEnd = receiver.SynEnd;
            client.MaxWindow = Math.Max(receiver.SynWindow, (ushort)1);
            if ((receiver.Flags & TcpSideFlags.SynOffersScale) != 0)
            {
                client.Scale = receiver.SynScale;
                client.Flags = TcpSideFlags.OffersScale;
            }
            // A SYN-ACK the fresh sides do not take changes neither, whatever is done with it: the old flow stays.
            var server = default(TcpSide);
            var answer = Advance(ref server, ref client, segment, ConnectionState.SynSent, isReply);
            if (answer != TcpCheck.Accept)
            {
                return answer;
            }
            sender = server;
            receiver = client;
            return TcpCheck.Resync;
        }
        if (isReply && syn && (flags & TcpTracker.Ack) == 0 && state != ConnectionState.SynSent
            && !(state == ConnectionState.SynReceived && (sender.Flags & TcpSideFlags.AckSeen) == 0))
        {
            // Only a SYN crossing ours (simultaneous open), or that SYN sent again while the answering side
            // has acknowledged nothing yet (Linux's SYN_SENT2), may come from the answering side; one into a
            // flow past its handshake is a guess (Linux: invalid), which an older stack would take as a reset.
            return TcpCheck.Invalid;
        }
        if (isReply && state == ConnectionState.SynSent && sender.MaxWindow == 0
            && (flags & (TcpTracker.Syn | TcpTracker.Ack | TcpTracker.Rst)) == TcpTracker.Ack)
        {
            // A bare ACK answering our SYN: a server still holding the old connection on this reused tuple,
            // whose client must see it to reset that. Passed, and nothing is learnt from it but where the
            // client's reset will start (Linux: ignored).
            sender.MaxAck = segment.Acknowledgement;
            sender.Flags |= TcpSideFlags.StaleAckPassed;
            return TcpCheck.Pass;
        }
        if (!isReply && state == ConnectionState.SynSent && (flags & (TcpTracker.Syn | TcpTracker.Ack | TcpTracker.Rst)) == TcpTracker.Rst
            && (receiver.Flags & TcpSideFlags.StaleAckPassed) != 0 && seq == receiver.MaxAck)
        {
            // The client resets that old connection exactly where the server's ACK said it stands, a point
            // the new SYN's window knows nothing of: passed, so the server drops it and answers the SYN the
            // client sends again. The new flow stays as it was.
            receiver.Flags &= ~TcpSideFlags.StaleAckPassed;
            return TcpCheck.Pass;
        }
        if (isReply && state == ConnectionState.SynSent && (flags & TcpTracker.Rst) != 0
            && ((flags & TcpTracker.Ack) == 0 || segment.Acknowledgement != receiver.End))
        {
            // RFC 9293 §3.10.7.3: in SYN-SENT the client takes a reset only when it acknowledges its SYN (a
            // refusing stack acknowledges all of it) and drops any other. Passed, a blind reset that guessed
            // only the ports would close the flow here while the client still waits for its SYN-ACK.
            return TcpCheck.Refuse;
        }
        // Only the very next segment may answer a pending SYN, as Linux honours one: later, a forged answer
        // would need only that SYN's sequence number to resynchronise or close a flow that carried on.
        sender.Flags &= ~(TcpSideFlags.SynPending | TcpSideFlags.StaleAckPassed);
        receiver.Flags &= ~(TcpSideFlags.SynPending | TcpSideFlags.StaleAckPassed);

        if (sender.MaxWindow == 0)
        {
            if (syn)
            {
                sender.End = sender.MaxEnd = end;
                sender.MaxWindow = Math.Max(win, 1);
                TakeScale(ref sender, segment);
                // RFC 7323: scaling applies only when both SYNs offered it, known once the second is seen.
                if (receiver.MaxWindow != 0 && (sender.Flags & receiver.Flags & TcpSideFlags.OffersScale) == 0)
                {
                    sender.Scale = receiver.Scale = 0;
                }
                if ((flags & TcpTracker.Ack) == 0)
                {
                    return TcpCheck.Accept; // a SYN without ACK (the flow's first, or a simultaneous open) has nothing to check yet
                }
                OpenSynWindow(ref sender, receiver);
            }
            else
            {
                // This side's first segment is not its SYN (a reset answering ours, say): start from it.
                sender.End = end;
                sender.MaxWindow = Math.Max(win << sender.Scale, 1);
                sender.MaxEnd = end + sender.MaxWindow;
                if (receiver.MaxWindow == 0)
                {
                    receiver.End = receiver.MaxEnd = segment.Acknowledgement;
                }
            }
        }
        else if (syn && After(end, sender.End)
            && ((state == ConnectionState.SynSent && !isReply) || (state == ConnectionState.SynReceived && isReply)))
        {
            // A SYN sent again with a new initial sequence number (RFC 9293 §3.8.1 lets a restarted
            // side do that) starts this side afresh.
            sender.End = sender.MaxEnd = end;
            sender.MaxWindow = Math.Max(win, 1);
            TakeScale(ref sender, segment);
            if ((flags & TcpTracker.Ack) != 0)
            {
                OpenSynWindow(ref sender, receiver);
            }
        }

        var ack = segment.Acknowledgement;
        if ((flags & TcpTracker.Ack) == 0 || ((flags & TcpTracker.Rst) != 0 && ack == 0))
        {
            // No acknowledgement to check (or a stack that sets ACK on a reset with a zero number).
            ack = receiver.End;
        }
        if ((flags & TcpTracker.Rst) != 0 && seq == 0 && state == ConnectionState.SynSent && isReply)
        {
            // A reset answering a SYN may carry sequence number 0.
            seq = end = sender.End;
        }

        var inReceiveWindow = receiver.MaxWindow == 0 || After(end, sender.End - receiver.MaxWindow - 1);
        var ackWindow = Math.Max(sender.MaxWindow, MinAckWindow);
        var inWindow = Before(seq, sender.MaxEnd + 1) && inReceiveWindow
            && Before(ack, receiver.End + 1) && After(ack, receiver.End - ackWindow - 1);
        var liberal = (sender.Flags & TcpSideFlags.Liberal) != 0;
        if (!inWindow && !liberal)
        {
            return TcpCheck.Refuse;
        }
        if (liberal && !isReply)
        {
            // The client's point is taken from every segment it sends, inside the bounds or not: on a download
            // those bounds stop following the flow almost at once, and a point frozen there would, 2 GB on, put
            // the server's exact reset behind it. So is where it has sent up to, which the answering side's
            // point is held to (below): its segments may be forged from the uplink, and a forged point past
            // what the client sent would have every reset of the client's dropped and its FINs ignored for good.
            TakeAck(ref sender, segment);
            // Not from a reset, which sends nothing: one would otherwise always start where its sender had sent
            // up to, and so close the flow wherever it lay (see below).
            if ((flags & TcpTracker.Rst) == 0 && After(end, sender.End))
            {
                sender.End = end;
            }
        }
        if ((flags & TcpTracker.Rst) != 0 && (receiver.Flags & TcpSideFlags.AckSeen) != 0 && seq != receiver.MaxAck)
        {
            // Behind what the receiver acknowledged: stale or forged, as Linux judges it, while the flow
            // is open. In a closing flow Linux skips that check (tcp_can_early_drop): a server that has
            // closed answers a late segment (a handshake ACK that a worker handed over after the whole
            // exchange, say) with a reset at the number that segment acknowledged, and that reset must pass.
            if (Before(seq, receiver.MaxAck)
                && state is not (ConnectionState.FinWait or ConnectionState.CloseWait or ConnectionState.LastAck or ConnectionState.TimeWait or ConnectionState.Close))
            {
                return TcpCheck.Refuse;
            }
            // Ahead of it but in the window, on an established flow: passed on for the receiver to
            // challenge (RFC 5961 §3.2), and the flow stays. Unless it follows on from everything its
            // sender has sent (an abort with data not yet acknowledged), which no blind guess hits
            // more easily than the exact point; and in any closing state, as Linux, it closes.
            if (state == ConnectionState.Established && seq != sender.End)
            {
                return inWindow ? TcpCheck.Pass : TcpCheck.Ignore;
            }
        }
        if (!inWindow)
        {
            // A flow picked up midway, past what its windows are known to allow (a scale the firewall never
            // saw): passed, as Linux does, but nothing is learnt from it beyond what its sender acknowledged
            // (the client's above; the answering side's up to what the client has sent, all a genuine one
            // can acknowledge), so a blind guess moves no bound. Nor does a FIN move the state unless it
            // starts where the receiver acknowledged, as the FIN of an idle connection does: one with any
            // numbers would start closing an idle flow, which then expires.
            if (isReply && !After(segment.Acknowledgement, receiver.End))
            {
                TakeAck(ref sender, segment);
            }
            if ((flags & TcpTracker.Fin) != 0 && ((receiver.Flags & TcpSideFlags.AckSeen) == 0 || seq != receiver.MaxAck))
            {
                return TcpCheck.Pass;
            }
            return TcpCheck.Accept;
        }
        if (!liberal || isReply)
        {
            TakeAck(ref sender, segment);
        }

        if (!syn)
        {
            win <<= sender.Scale;
        }
        if (sender.MaxWindow < win)
        {
            sender.MaxWindow = win;
        }
        if (After(end, sender.End))
        {
            sender.End = end;
            if (!liberal)
            {
                // Not on a flow picked up midway: the ACK that clears it may lie past what the firewall
                // follows, and the flow would then go after the unacknowledged timeout, idle as it may be.
                sender.Flags |= TcpSideFlags.DataUnacknowledged;
            }
        }
        if ((flags & TcpTracker.Ack) != 0 && segment.Acknowledgement == receiver.End)
        {
            receiver.Flags &= ~TcpSideFlags.DataUnacknowledged;
        }
        if (receiver.MaxWindow != 0 && After(end, sender.MaxEnd))
        {
            // A window probe past the advertised edge: the receiver evidently takes that much.
            receiver.MaxWindow += end - sender.MaxEnd;
        }
        if (After(ack + win, receiver.MaxEnd - 1))
        {
            receiver.MaxEnd = ack + win;
            if (win == 0)
            {
                receiver.MaxEnd++;
            }
        }
        return TcpCheck.Accept;
    }

    /// <summary>
    /// A SYN-ACK's sender may send from its first byte on as far as the window of the SYN it answers
    /// (never scaled, RFC 7323 §2.2) reaches, before the ACK that would say so comes: a Fast Open server
    /// (RFC 7413) answers the data in that SYN at once, and on a real path its whole first flight reaches
    /// the firewall ahead of the client's ACK, which has a round trip to make first.
    /// </summary>
    private static void OpenSynWindow(ref TcpSide sender, in TcpSide receiver) => sender.MaxEnd = sender.End + receiver.MaxWindow;

    /// <summary>Moves <see cref="TcpSide.MaxAck"/> on to the segment's acknowledgement, when it is further.</summary>
    private static void TakeAck(ref TcpSide sender, in TcpSample segment)
    {
        if ((segment.Flags & TcpTracker.Ack) != 0 && segment.Acknowledgement != 0
            && ((sender.Flags & TcpSideFlags.AckSeen) == 0 || After(segment.Acknowledgement, sender.MaxAck)))
        {
            sender.MaxAck = segment.Acknowledgement;
            sender.Flags |= TcpSideFlags.AckSeen;
        }
    }

    private static void TakeScale(ref TcpSide side, in TcpSample segment)
    {
        if (segment.WindowScale >= 0)
        {
            side.Scale = (byte)segment.WindowScale;
            side.Flags |= TcpSideFlags.OffersScale;
        }
        else
        {
            side.Scale = 0;
            side.Flags &= ~TcpSideFlags.OffersScale;
        }
    }

    /// <summary>Sequence-number order modulo 2^32 (RFC 1982).</summary>
    private static bool Before(uint a, uint b) => (int)(a - b) < 0;

    private static bool After(uint a, uint b) => (int)(a - b) > 0;
}
