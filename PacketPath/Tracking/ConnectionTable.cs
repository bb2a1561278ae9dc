using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// Every flow the firewall has let through, found by the key of either direction: the original
/// (as the client sent it) or the reply (as it arrives on the uplink, after NAT).
/// </summary>
/// <remarks>
/// <para>
/// All memory is allocated in the constructor: an array of entries, a free list threaded through
/// it, and an open-addressing index (linear probing, backward-shift deletion, at most half full)
/// holding two slots per entry, one per direction. Nothing allocates per packet and nothing throws
/// per packet.
/// </para>
/// <para>
/// Entries expire lazily: <see cref="Lookup"/> forgets an entry it finds expired, <see cref="Expire"/>
/// sweeps a bounded number of entries per call, and <see cref="TryCreate"/> sweeps a little when the
/// table or the client's quota is full, and the whole table when that is not enough (at most once a
/// second), so dead flows never refuse a new one for long. When that is not enough either, a TCP
/// flow that is over (TIME_WAIT or CLOSE, kept only to absorb its last stray segments) makes room,
/// the oldest among the next <see cref="EvictScan"/> entries, as Linux's conntrack drops such entries
/// early when its table fills: otherwise a client making many short connections would be refused
/// for two minutes after each burst while none of its connections is open. Other live flows are
/// never evicted: a full table refuses the new flow instead.
/// </para>
/// <para>
/// Concurrency: single writer. Every method, <see cref="Lookup"/> included (it removes expired
/// entries), must be called from one thread at a time. The live data plane gives each worker a
/// table of its own (a shard, see <see cref="FlowShards"/>): a flow lives in the shard its key
/// hashes to, the NAT port allocator only picks ports whose reply key hashes there too, and a
/// packet read by another worker is handed to the owner rather than looked up, so no table is ever
/// touched by two threads and none needs a lock. The bound and the per-client quota are per table.
/// </para>
/// </remarks>
public sealed class ConnectionTable
{
    /// <summary>
    /// Bytes per flow: the 160-byte <c>Entry</c> plus four 8-byte index slots (two keys per entry,
    /// index at most half full). 65,536 entries take 13 MiB.
    /// </summary>
    public static int BytesPerEntry => Unsafe.SizeOf<Entry>() + IndexSlotsPerEntry * Unsafe.SizeOf<IndexSlot>();

    private const int IndexSlotsPerEntry = 4;

    /// <summary>How long after it began an answered UDP flow must still be active to be a stream (Linux: 2 s).</summary>
    private const long UdpStreamAfterMs = 2_000;

    /// <summary>An entry numbers its client in 16 bits, which leaves room for the ICMP request type in 160 bytes.</summary>
    public const int MaxClients = Lethe.Domain.Snapshots.SnapshotLimits.MaxClients;

    private readonly Entry[] _entries;
    private readonly IndexSlot[] _index;
    private readonly int _indexMask;
    private readonly int[] _perClient;
    // TCP flows in TIME_WAIT or CLOSE, per client and in all: a client flooding new flows at its quota
    // with none of its own finished would otherwise pay a scan of EvictScan entries for every refused packet.
    private readonly int[] _finishedPerClient;
    private int _finished;
    private readonly long[] _timeoutMs;
    private readonly long _tcpUnacknowledgedMs;
    private readonly ulong _seed;
    private readonly int _quota;
    private readonly int _sweepWhenFull;
    private long _lastFullSweepMs = long.MinValue / 2;

    private int _count;
    private int _highWater;
    private int _freeHead = -1;
    private int _sweepCursor;
    private int _evictCursor;

    /// <summary>Entries looked at for a finished TCP flow to evict, per flow refused room otherwise.</summary>
    public const int EvictScan = 1_024;

    public ConnectionTable(ConnectionLimits limits, ConnectionTimeouts timeouts)
        : this(limits, timeouts, BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)))
    {
    }

    /// <param name="hashSeed">Keys the index hash. Lookups and verdicts do not depend on it, only probe lengths.</param>
    public ConnectionTable(ConnectionLimits limits, ConnectionTimeouts timeouts, ulong hashSeed)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(timeouts);
        if (limits.Capacity is < 1 or > ConnectionLimits.MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(limits),
                $"Connection table capacity {limits.Capacity} is outside 1..{ConnectionLimits.MaxCapacity}.");
        }
        if (limits.PerClientQuota < 1 || limits.MaxClients is < 1 or > MaxClients || limits.SweepWhenFull < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limits),
                $"Per-client quota {limits.PerClientQuota} must be at least 1, max clients {limits.MaxClients} within 1..{MaxClients}, sweep {limits.SweepWhenFull} at least 0.");
        }

        _entries = new Entry[limits.Capacity];
        var slots = (int)BitOperations.RoundUpToPowerOf2((uint)limits.Capacity * IndexSlotsPerEntry);
        _index = new IndexSlot[slots];
        _indexMask = slots - 1;
        _perClient = new int[limits.MaxClients];
        _finishedPerClient = new int[limits.MaxClients];
        _quota = limits.PerClientQuota;
        _sweepWhenFull = limits.SweepWhenFull;
        _seed = hashSeed;

        var states = Enum.GetValues<ConnectionState>();
        _timeoutMs = new long[states.Length];
        foreach (var state in states)
        {
            var timeout = timeouts.For(state);
            if (timeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(timeouts), $"The {state} timeout is {timeout}; it must be positive.");
            }
            _timeoutMs[(int)state] = (long)timeout.TotalMilliseconds;
        }
        if (timeouts.TcpUnacknowledged <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeouts), $"The TCP unacknowledged timeout is {timeouts.TcpUnacknowledged}; it must be positive.");
        }
        _tcpUnacknowledgedMs = (long)timeouts.TcpUnacknowledged.TotalMilliseconds;
    }

    public int Capacity => _entries.Length;

    public int Count => _count;

    public int PerClientQuota => _quota;

    /// <summary>Bytes held by this table's arrays.</summary>
    public long MemoryBytes =>
        (long)_entries.Length * Unsafe.SizeOf<Entry>()
        + (long)_index.Length * Unsafe.SizeOf<IndexSlot>()
        + (long)_perClient.Length * sizeof(int) * 2;

    /// <summary>Live (or not yet swept) flows of <paramref name="client"/>; 0 for an unknown client.</summary>
    public int CountFor(int client) => (uint)client < (uint)_perClient.Length ? _perClient[client] : 0;

    /// <summary>
    /// Finds the flow <paramref name="key"/> belongs to, in either direction. An entry found expired
    /// is removed and reported as absent, so a caller may create a fresh flow for the key.
    /// </summary>
    public bool Lookup(in FlowKey key, long nowMs, out int entry, out bool isReply)
    {
        var hash = key.Hash(_seed);
        var i = (int)hash & _indexMask;
        while (true)
        {
            var slot = _index[i];
            if (slot.Reference == 0)
            {
                break;
            }
            if (slot.Hash == (uint)hash)
            {
                var candidate = (slot.Reference - 1) >> 1;
                var reply = ((slot.Reference - 1) & 1) != 0;
                ref var e = ref _entries[candidate];
                if (Matches(ref e, reply, in key))
                {
                    if (IsExpired(ref e, nowMs))
                    {
                        RemoveLive(candidate);
                        break;
                    }
                    entry = candidate;
                    isReply = reply;
                    return true;
                }
            }
            i = (i + 1) & _indexMask;
        }
        entry = -1;
        isReply = false;
        return false;
    }

    /// <summary>
    /// Starts tracking a flow the policy allowed. The caller has looked up <paramref name="original"/>
    /// and found nothing, and for NAT chose <paramref name="reply"/> free (see Nat.PortAllocator).
    /// The creating packet is not counted: pass it to <see cref="Observe"/> like every other packet.
    /// </summary>
    /// <param name="ruleIndex">The snapshot rule that allowed the flow, for its hit counters.</param>
    /// <param name="tcpFlags">The first packet's TCP flags: a SYN opens in SYN_SENT, a packet of a
    /// flow picked up midway in ESTABLISHED.</param>
    public bool TryCreate(in FlowKey original, in FlowKey reply, int client, int ruleIndex, byte tcpFlags,
        long nowMs, out int entry, out DropReason reason) =>
        TryCreate(original, reply, client, ruleIndex, tcpFlags, icmpRequest: 0, nowMs, out entry, out reason);

    /// <param name="icmpRequest">For an ICMP flow, the type of the request that opened it: only that request
    /// and its reply belong to the flow (<see cref="IcmpRequestOf"/>).</param>
    public bool TryCreate(in FlowKey original, in FlowKey reply, int client, int ruleIndex, byte tcpFlags, byte icmpRequest,
        long nowMs, out int entry, out DropReason reason)
    {
        if ((uint)client >= (uint)_perClient.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(client), client,
                $"Client index {client} is outside 0..{_perClient.Length - 1}; raise ConnectionLimits.MaxClients.");
        }
        if (reply.Protocol != original.Protocol
            || original.Source.IsV6 != original.Destination.IsV6
            || reply.Source.IsV6 != reply.Destination.IsV6)
        {
            throw new ArgumentException(
                $"Flow keys {original} and {reply} mix protocols or address families within a key.", nameof(reply));
        }
        if (!HasRoom(client, nowMs, out reason))
        {
            entry = -1;
            return false;
        }

        entry = TakeFreeEntry();
        ref var e = ref _entries[entry];
        e = default;
        e.OriginalSource = original.Source.Bits;
        e.OriginalDestination = original.Destination.Bits;
        e.ReplySource = reply.Source.Bits;
        e.ReplyDestination = reply.Destination.Bits;
        e.OriginalSourcePort = original.SourcePort;
        e.OriginalDestinationPort = original.DestinationPort;
        e.ReplySourcePort = reply.SourcePort;
        e.ReplyDestinationPort = reply.DestinationPort;
        e.Protocol = original.Protocol;
        e.Flags = EntryFlags.InUse
            | (original.Source.IsV6 ? EntryFlags.OriginalV6 : 0)
            | (reply.Source.IsV6 ? EntryFlags.ReplyV6 : 0);
        e.Client = (ushort)client;
        e.RuleIndex = ruleIndex;
        e.IcmpRequest = icmpRequest;
        e.LastSeenMs = nowMs;
        e.NextFree = -1;
        if (original.Protocol == 6)
        {
            e.OriginalSide.Flags = e.ReplySide.Flags = TcpWindow.FlagsForFirst(tcpFlags);
        }
        else if (original.Protocol == 17)
        {
            SetUdpBegan(ref e, nowMs);
        }
        SetState(ref e, original.Protocol switch
        {
            6 => TcpTracker.Open(tcpFlags, out e.Closing),
            17 => ConnectionState.UdpUnreplied,
            1 or 58 => ConnectionState.Icmp,
            _ => ConnectionState.Generic,
        });

        Insert(original.Hash(_seed), entry, isReply: false);
        Insert(reply.Hash(_seed), entry, isReply: true);
        _count++;
        _perClient[client]++;
        reason = DropReason.None;
        return true;
    }

    /// <summary>
    /// Counts a packet of the flow, refreshes its timeout and advances its state. A TCP segment
    /// outside the flow's sequence window (<see cref="TcpWindow"/>) or one conntrack calls invalid
    /// is refused, and nothing about the flow changes. <paramref name="tcp"/> is default for other protocols.
    /// </summary>
    /// <returns><see cref="DropReason.None"/>, or why the segment is refused.</returns>
    public DropReason Observe(int entry, bool isReply, in TcpSample tcp, int bytes, long nowMs)
    {
        ref var e = ref _entries[entry];
        var check = TcpCheck.Accept;
        if (e.Protocol == 6)
        {
            var refusal = isReply
                ? Judge(e.State, ref e.ReplySide, ref e.OriginalSide, tcp, isReply: true, out check)
                : Judge(e.State, ref e.OriginalSide, ref e.ReplySide, tcp, isReply: false, out check);
            if (refusal != DropReason.None)
            {
                return refusal;
            }
        }
        if (check is TcpCheck.Accept or TcpCheck.Resync)
        {
            e.LastSeenMs = nowMs;
        }
        else if (check == TcpCheck.Pass && (tcp.Flags & TcpTracker.Rst) != 0)
        {
            // A reset passed on for its receiver to judge: if it takes it, nothing follows, and the flow goes
            // after the close timeout, as Linux times it; its challenge ACK (or anything else) keeps it.
            var timeout = TimeoutOf(ref e);
            var close = _timeoutMs[(int)ConnectionState.Close];
            if (timeout > close)
            {
                e.LastSeenMs = nowMs - (timeout - close);
            }
        }
        if (isReply)
        {
            e.ReplyPackets++;
            e.ReplyBytes += (ulong)bytes;
        }
        else
        {
            e.OriginalPackets++;
            e.OriginalBytes += (ulong)bytes;
        }
        switch (e.Protocol)
        {
            case 6 when check == TcpCheck.Resync:
                SetState(ref e, ConnectionState.SynReceived);
                e.Closing = TcpTracker.Closing.None;
                break;
            case 6 when check == TcpCheck.Accept:
                SetState(ref e, TcpTracker.Next(e.State, ref e.Closing, isReply, tcp.Flags));
                break;
            case 17 when isReply && e.State == ConnectionState.UdpUnreplied:
                e.State = ConnectionState.UdpReplied;
                break;
            // Linux's stream_ts: answered, and still active two seconds after it began (a lookup of
            // A and AAAA from one socket, two queries and two answers, is over well before that).
            case 17 when e.State == ConnectionState.UdpReplied && nowMs - UdpBeganMs(in e) >= UdpStreamAfterMs:
                e.State = ConnectionState.UdpStream;
                break;
        }
        return DropReason.None;
    }

    /// <summary>
    /// Why <see cref="Observe"/> would refuse this TCP segment of the flow (<see cref="DropReason.None"/>:
    /// it would take it, or the flow is not TCP), changing nothing. Asked of a segment the firewall would
    /// answer instead of forwarding (its hop limit ran out, it is too big): one its flow refuses is
    /// dropped unanswered as any other, or the answer would tell whoever guessed the flow's ports,
    /// knowing none of its sequence numbers, that it lives.
    /// </summary>
    public DropReason Refusal(int entry, bool isReply, in TcpSample tcp)
    {
        ref readonly var e = ref _entries[entry];
        if (e.Protocol != 6)
        {
            return DropReason.None;
        }
        var sender = isReply ? e.ReplySide : e.OriginalSide;
        var receiver = isReply ? e.OriginalSide : e.ReplySide;
        return Judge(e.State, ref sender, ref receiver, tcp, isReply, out _);
    }

    /// <summary>Why a TCP segment is refused, or <see cref="DropReason.None"/> with what it does; the sides move unless it is refused.</summary>
    private static DropReason Judge(ConnectionState state, ref TcpSide sender, ref TcpSide receiver, in TcpSample tcp, bool isReply, out TcpCheck check)
    {
        check = TcpCheck.Invalid;
        if (!TcpTracker.ValidFlags(tcp.Flags))
        {
            return DropReason.TcpInvalid;
        }
        if (TcpTracker.Reopens(state, isReply, tcp.Flags))
        {
            // A new connection, which the closed flow must not carry past the rules (see IsReopenedBy).
            return DropReason.TcpInvalid;
        }
        check = TcpWindow.Accept(ref sender, ref receiver, tcp, state, isReply);
        return check switch
        {
            TcpCheck.Refuse => DropReason.TcpOutOfWindow,
            TcpCheck.Invalid => DropReason.TcpInvalid,
            _ => DropReason.None,
        };
    }

    /// <summary>
    /// Whether a segment with <paramref name="tcpFlags"/> starts a new connection on the tuple of this
    /// closed TCP flow (<see cref="TcpTracker.Reopens"/>): the caller removes the entry and handles
    /// the segment as the first of a new flow, which the sender's rules judge.
    /// </summary>
    public bool IsReopenedBy(int entry, bool isReply, byte tcpFlags)
    {
        ref readonly var e = ref _entries[entry];
        return e.Protocol == 6 && TcpTracker.Reopens(e.State, isReply, tcpFlags);
    }

    /// <summary>When a UDP flow began, kept in two words of the original TCP side, which UDP flows never use.</summary>
    private static long UdpBeganMs(in Entry e) => (long)(((ulong)e.OriginalSide.MaxEnd << 32) | e.OriginalSide.End);

    private static void SetUdpBegan(ref Entry e, long nowMs)
    {
        e.OriginalSide.End = (uint)nowMs;
        e.OriginalSide.MaxEnd = (uint)((ulong)nowMs >> 32);
    }

    /// <summary>Forgets a flow: both of its keys stop matching and its NAT port is free again.</summary>
    public bool Remove(int entry)
    {
        if ((uint)entry >= (uint)_highWater || (_entries[entry].Flags & EntryFlags.InUse) == 0)
        {
            return false;
        }
        RemoveLive(entry);
        return true;
    }

    /// <summary>Examines up to <paramref name="budget"/> entries, round-robin, and removes the expired ones.</summary>
    /// <returns>How many were removed.</returns>
    public int Expire(long nowMs, int budget)
    {
        var limit = _highWater;
        var steps = Math.Min(budget, limit);
        var removed = 0;
        for (var n = 0; n < steps; n++)
        {
            if (_sweepCursor >= limit)
            {
                _sweepCursor = 0;
            }
            var i = _sweepCursor++;
            ref var e = ref _entries[i];
            if ((e.Flags & EntryFlags.InUse) != 0 && IsExpired(ref e, nowMs))
            {
                RemoveLive(i);
                removed++;
            }
        }
        return removed;
    }

    public ConnectionState StateOf(int entry) => _entries[entry].State;

    public int ClientOf(int entry) => _entries[entry].Client;

    public int RuleIndexOf(int entry) => _entries[entry].RuleIndex;

    /// <summary>The ICMP request type that opened the flow; 0 for other protocols.</summary>
    public byte IcmpRequestOf(int entry) => _entries[entry].IcmpRequest;

    public FlowKey OriginalKey(int entry)
    {
        ref var e = ref _entries[entry];
        var v6 = (e.Flags & EntryFlags.OriginalV6) != 0;
        return new FlowKey(new NetAddress(e.OriginalSource, v6), new NetAddress(e.OriginalDestination, v6),
            e.Protocol, e.OriginalSourcePort, e.OriginalDestinationPort);
    }

    public FlowKey ReplyKey(int entry)
    {
        ref var e = ref _entries[entry];
        var v6 = (e.Flags & EntryFlags.ReplyV6) != 0;
        return new FlowKey(new NetAddress(e.ReplySource, v6), new NetAddress(e.ReplyDestination, v6),
            e.Protocol, e.ReplySourcePort, e.ReplyDestinationPort);
    }

    public TrackedFlow Get(int entry)
    {
        ref var e = ref _entries[entry];
        return new TrackedFlow(entry, OriginalKey(entry), ReplyKey(entry), e.Client, e.RuleIndex, e.State,
            e.LastSeenMs, e.OriginalPackets, e.OriginalBytes, e.ReplyPackets, e.ReplyBytes, e.IcmpRequest);
    }

    /// <summary>Visits every tracked flow (expired ones not yet swept included), for reports.</summary>
    public void ForEach(Action<TrackedFlow> visit)
    {
        for (var i = 0; i < _highWater; i++)
        {
            if ((_entries[i].Flags & EntryFlags.InUse) != 0)
            {
                visit(Get(i));
            }
        }
    }

    /// <summary>
    /// Visits every flow still live at <paramref name="nowMs"/>, with the milliseconds left before it
    /// times out unless a packet comes, for listings (expired ones not yet swept are left out).
    /// </summary>
    public void ForEachLive(long nowMs, Action<TrackedFlow, long> visit)
    {
        for (var i = 0; i < _highWater; i++)
        {
            ref var e = ref _entries[i];
            if ((e.Flags & EntryFlags.InUse) != 0 && !IsExpired(ref e, nowMs))
            {
                visit(Get(i), TimeoutOf(ref e) - (nowMs - e.LastSeenMs));
            }
        }
    }

    /// <summary>
    /// Judges every live flow again (<paramref name="allowedBy"/>: the index of the rule that allows it
    /// now, or a negative number), after a policy swap or a rule's expiry: a flow no rule allows is cut,
    /// in both directions, and one still allowed remembers the rule that now does, whose index may have
    /// moved. Flows already timed out at <paramref name="nowMs"/> are removed on the way, unasked and
    /// uncounted: they were not cut.
    /// </summary>
    /// <returns>How many were cut.</returns>
    public int Rejudge(long nowMs, Func<TrackedFlow, int> allowedBy)
    {
        var removed = 0;
        for (var i = 0; i < _highWater; i++)
        {
            ref var e = ref _entries[i];
            if ((e.Flags & EntryFlags.InUse) == 0)
            {
                continue;
            }
            if (IsExpired(ref e, nowMs))
            {
                RemoveLive(i);
            }
            else if (allowedBy(Get(i)) is var rule and >= 0)
            {
                e.RuleIndex = rule;
            }
            else
            {
                RemoveLive(i);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>
    /// Whether <see cref="TryCreate"/> would find room for one more flow of <paramref name="client"/>
    /// (expiring what it can when not): asked before the NAT search, which is not worth making for a
    /// flow that would be refused anyway.
    /// </summary>
    public bool HasRoom(int client, long nowMs, out DropReason reason)
    {
        reason = DropReason.None;
        if ((uint)client >= (uint)_perClient.Length || Fits(client))
        {
            return true;
        }
        Expire(nowMs, _sweepWhenFull);
        if (!Fits(client) && nowMs - _lastFullSweepMs >= FullSweepIntervalMs)
        {
            // The short sweep walks from a shared cursor, which may sit among other clients' live flows
            // while this client's (or the table's) dead ones still count: refusing for them would refuse
            // flows Linux takes. A whole pass frees every dead entry; at most once a second, so a client
            // flooding at its quota cannot make every packet cost the whole table.
            _lastFullSweepMs = nowMs;
            Expire(nowMs, _highWater);
        }
        if (!Fits(client))
        {
            // The client's own finished flow when it is at its quota; anyone's when only the table is full.
            EvictFinished(_perClient[client] >= _quota ? client : -1);
        }
        reason = _perClient[client] >= _quota ? DropReason.ClientQuotaExceeded
            : _count >= _entries.Length ? DropReason.ConnectionTableFull
            : DropReason.None;
        return reason == DropReason.None;
    }

    private bool Fits(int client) => _count < _entries.Length && _perClient[client] < _quota;

    /// <summary>Removes the least recently seen TCP flow in TIME_WAIT or CLOSE of <paramref name="client"/> (any client: -1) among the next <see cref="EvictScan"/> entries.</summary>
    private void EvictFinished(int client)
    {
        if ((client < 0 ? _finished : _finishedPerClient[client]) == 0)
        {
            return;
        }
        var limit = _highWater;
        var steps = Math.Min(EvictScan, limit);
        var oldest = -1;
        var oldestSeen = long.MaxValue;
        for (var n = 0; n < steps; n++)
        {
            if (_evictCursor >= limit)
            {
                _evictCursor = 0;
            }
            var i = _evictCursor++;
            ref var e = ref _entries[i];
            if ((e.Flags & EntryFlags.InUse) != 0 && e.Protocol == 6 && e.State is ConnectionState.TimeWait or ConnectionState.Close
                && (client < 0 || e.Client == client) && e.LastSeenMs < oldestSeen)
            {
                oldest = i;
                oldestSeen = e.LastSeenMs;
            }
        }
        if (oldest >= 0)
        {
            RemoveLive(oldest);
        }
    }

    /// <summary>Least time between two whole passes of <see cref="HasRoom"/> over the table.</summary>
    private const long FullSweepIntervalMs = 1_000;

    private bool IsExpired(ref Entry e, long nowMs) => nowMs - e.LastSeenMs >= TimeoutOf(ref e);

    /// <remarks>
    /// A TCP flow nobody has answered yet (picked up from a bare ACK, say), or one with data not yet
    /// acknowledged, is held no longer than <see cref="ConnectionTimeouts.TcpUnacknowledged"/>, whatever
    /// its state says, as Linux holds them: an ACK scan would otherwise fill a client's quota for days,
    /// and so would peers that vanished mid-transfer.
    /// </remarks>
    private long TimeoutOf(ref Entry e)
    {
        var timeout = _timeoutMs[(int)e.State];
        if (e.Protocol == 6 && timeout > _tcpUnacknowledgedMs
            && (e.ReplyPackets == 0 || ((e.OriginalSide.Flags | e.ReplySide.Flags) & TcpSideFlags.DataUnacknowledged) != 0))
        {
            timeout = _tcpUnacknowledgedMs;
        }
        return timeout;
    }

    private static bool Matches(ref Entry e, bool reply, in FlowKey key)
    {
        if (e.Protocol != key.Protocol || key.Source.IsV6 != key.Destination.IsV6)
        {
            return false;
        }
        return reply
            ? e.ReplySource == key.Source.Bits
                && e.ReplyDestination == key.Destination.Bits
                && e.ReplySourcePort == key.SourcePort
                && e.ReplyDestinationPort == key.DestinationPort
                && ((e.Flags & EntryFlags.ReplyV6) != 0) == key.Source.IsV6
            : e.OriginalSource == key.Source.Bits
                && e.OriginalDestination == key.Destination.Bits
                && e.OriginalSourcePort == key.SourcePort
                && e.OriginalDestinationPort == key.DestinationPort
                && ((e.Flags & EntryFlags.OriginalV6) != 0) == key.Source.IsV6;
    }

    private int TakeFreeEntry()
    {
        if (_freeHead >= 0)
        {
            var entry = _freeHead;
            _freeHead = _entries[entry].NextFree;
            return entry;
        }
        return _highWater++;
    }

    private void RemoveLive(int entry)
    {
        ref var e = ref _entries[entry];
        RemoveSlot(OriginalKey(entry).Hash(_seed), Reference(entry, isReply: false));
        RemoveSlot(ReplyKey(entry).Hash(_seed), Reference(entry, isReply: true));
        _perClient[e.Client]--;
        if (IsFinished(e.State))
        {
            _finishedPerClient[e.Client]--;
            _finished--;
        }
        _count--;
        e.Flags = EntryFlags.None;
        e.NextFree = _freeHead;
        _freeHead = entry;
    }

    /// <summary>Sets an entry's state, keeping the counts of finished flows <see cref="EvictFinished"/> skips by.</summary>
    private void SetState(ref Entry e, ConnectionState state)
    {
        var finished = IsFinished(state);
        if (finished != IsFinished(e.State))
        {
            // Only when a flow finishes or starts again: most packets leave the state as it was.
            var delta = finished ? 1 : -1;
            _finishedPerClient[e.Client] += delta;
            _finished += delta;
        }
        e.State = state;
    }

    private static bool IsFinished(ConnectionState state) => state is ConnectionState.TimeWait or ConnectionState.Close;

    private static int Reference(int entry, bool isReply) => (entry << 1) + (isReply ? 1 : 0) + 1;

    private void Insert(ulong hash, int entry, bool isReply)
    {
        var i = (int)hash & _indexMask;
        while (_index[i].Reference != 0)
        {
            i = (i + 1) & _indexMask;
        }
        _index[i] = new IndexSlot((uint)hash, Reference(entry, isReply));
    }

    // Backward-shift deletion (Knuth 6.4 Algorithm R): no tombstones, so probe runs never grow
    // with churn in a table that lives for days.
    private void RemoveSlot(ulong hash, int reference)
    {
        var i = (int)hash & _indexMask;
        while (_index[i].Reference != reference)
        {
            i = (i + 1) & _indexMask;
        }
        var j = i;
        while (true)
        {
            j = (j + 1) & _indexMask;
            var moving = _index[j];
            if (moving.Reference == 0)
            {
                break;
            }
            var home = (int)moving.Hash & _indexMask;
            var stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (!stays)
            {
                _index[i] = moving;
                i = j;
            }
        }
        _index[i] = default;
    }

    [Flags]
    private enum EntryFlags : byte
    {
        None = 0,
        InUse = 1,
        OriginalV6 = 2,
        ReplyV6 = 4,
    }

    /// <summary>One slot of the index: the key's hash (low 32 bits) and entry * 2 + direction + 1 (0 = empty).</summary>
    private readonly record struct IndexSlot(uint Hash, int Reference);

    // Fields ordered by size so the struct packs into 176 bytes (UInt128 aligns to 16); BytesPerEntry adds the index slots.
    private struct Entry
    {
        public UInt128 OriginalSource;
        public UInt128 OriginalDestination;
        public UInt128 ReplySource;
        public UInt128 ReplyDestination;
        public long LastSeenMs;
        public ulong OriginalPackets;
        public ulong OriginalBytes;
        public ulong ReplyPackets;
        public ulong ReplyBytes;
        public int RuleIndex;
        public ushort Client;
        public ushort OriginalSourcePort;
        public ushort OriginalDestinationPort;
        public ushort ReplySourcePort;
        public ushort ReplyDestinationPort;
        public byte Protocol;
        public ConnectionState State;
        public EntryFlags Flags;
        public TcpTracker.Closing Closing;
        public byte IcmpRequest;
        public int NextFree;
        public TcpSide OriginalSide;
        public TcpSide ReplySide;
    }
}
