using System.Security.Cryptography;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Nat;

/// <summary>
/// Chooses the uplink port (or ICMP query identifier) a client's new flow leaves with, so that the
/// reply key (remote, uplink, protocol, remote port, chosen port) belongs to no live flow.
/// </summary>
/// <remarks>
/// The client's own source port is kept when it is in the range and free, and so is a reserved one
/// (below 1024) or an ICMP query identifier outside it (see TryAllocate); the search below is for
/// when it is not.
/// The connection table is the only record of ports in use: a port is free again as soon as its
/// flow is removed or expires, with no separate release. The search is RFC 6056's Algorithm 3
/// ("simple hash-based"): start at a keyed hash of the destination plus a counter and walk the
/// range, so ports are hard to guess from outside yet the same secret and the same packets give the
/// same ports (replays are reproducible). The search gives up after <see cref="FirstRound"/> lookups
/// and rounds of half as many from other offsets (255 in all), so a range nearly full towards one
/// remote address and port may refuse a flow while a port is still free, as Linux's NAT may, and a
/// full one costs a bounded search per refused packet. With the default range (64,512 ports) that
/// takes more flows than the default per-client quota, so one client alone cannot make others'
/// flows fail here unless --max-flows is raised past four times the range. With several
/// workers, each allocator takes only the ports that keep replies in its own shard, about one in
/// <see cref="FlowShards.Count"/> of the range per remote address and port.
/// </remarks>
public sealed class PortAllocator
{
    private readonly ConnectionTable _table;
    private readonly ulong _secret;
    private readonly FlowShards _shards;
    private readonly int _shard;
    private ulong _next;

    public PortAllocator(ConnectionTable table)
        : this(table, PortRange.Default, BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)))
    {
    }

    /// <param name="secret">Keys the starting point of the search; fix it to make replays reproducible.</param>
    public PortAllocator(ConnectionTable table, PortRange range, ulong secret)
        : this(table, range, secret, FlowShards.Single, 0)
    {
    }

    /// <param name="shards">How flows are split between workers.</param>
    /// <param name="shard">The shard <paramref name="table"/> holds: only ports whose reply key falls in it are chosen, so replies reach the worker that owns the flow.</param>
    public PortAllocator(ConnectionTable table, PortRange range, ulong secret, FlowShards shards, int shard)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shards.Count);
        _shards = shards;
        _shard = shard;
        ArgumentNullException.ThrowIfNull(table);
        if (range.First == 0 || range.First > range.Last)
        {
            throw new ArgumentOutOfRangeException(nameof(range),
                $"NAT port range {range.First}..{range.Last} must be non-empty and must not include port 0.");
        }
        _table = table;
        Range = range;
        _secret = secret;
    }

    public PortRange Range { get; }

    /// <summary>
    /// Picks the translation of a client's new flow <paramref name="original"/> leaving through
    /// <paramref name="uplink"/>: the reply key to pass to <see cref="ConnectionTable.TryCreate"/>.
    /// </summary>
    public bool TryAllocate(in FlowKey original, NetAddress uplink, long nowMs, out FlowKey reply, out DropReason reason)
    {
        // The client's own port (or query identifier) first, as Linux's masquerade keeps it when it is
        // free: a connection picked up midway (after a restart, or a cut flow allowed again) then
        // leaves with the port the remote knows and carries on, instead of meeting a reset. The
        // client's stack chose it at random already. With several workers it can be kept only when its
        // reply falls in this worker's shard.
        var own = original.SourcePort;
        var query = IsQueryProtocol(original.Protocol);
        var search = Range;
        var keep = own >= Range.First && own <= Range.Last;
        if (!keep && own != 0 && (query || (own < 1024 && Range.First >= 1024)))
        {
            // A query identifier means nothing beyond the flow, so any is kept. A reserved port
            // (below 1024) is kept too, and one taken is searched for below 1024 as Linux does
            // (1-511 or 600-1023): servers such as NFS with "secure" exports, rsh and LPD
            // refuse clients that do not come from one.
            keep = true;
            search = query ? Range : own < 512 ? LowReserved : HighReserved;
        }
        if (keep)
        {
            var kept = ReplyKey(original.Protocol, uplink, original.Destination, original.DestinationPort, own);
            if ((_shards.Count == 1 || _shards.Of(kept) == _shard) && !_table.Lookup(in kept, nowMs, out _, out _))
            {
                reply = kept;
                reason = DropReason.None;
                return true;
            }
        }
        if (!TryAllocate(original.Protocol, uplink, original.Destination, original.DestinationPort, search, nowMs, out var port, out reason))
        {
            reply = default;
            return false;
        }
        reply = ReplyKey(original.Protocol, uplink, original.Destination, original.DestinationPort, port);
        return true;
    }

    /// <summary>Where Linux's NAT searches for a port replacing a client's taken one below 512, and one from 512 to 1023 (nf_nat_l4proto_unique_tuple).</summary>
    private static readonly PortRange LowReserved = new(1, 511);

    private static readonly PortRange HighReserved = new(600, 1023);

    /// <summary>A free source port (for ICMP queries: query identifier; <paramref name="remotePort"/> is then ignored).</summary>
    public bool TryAllocate(byte protocol, NetAddress uplink, NetAddress remote, ushort remotePort, long nowMs,
        out ushort port, out DropReason reason) =>
        TryAllocate(protocol, uplink, remote, remotePort, Range, nowMs, out port, out reason);

    private bool TryAllocate(byte protocol, NetAddress uplink, NetAddress remote, ushort remotePort, PortRange range, long nowMs,
        out ushort port, out DropReason reason)
    {
        var size = (ulong)range.Size;
        var offset = new FlowKey(remote, uplink, protocol, remotePort, 0).Hash(_secret);
        var start = (offset % size + _next % size) % size;
        // Rounds of FirstRound, then half as many, ... down to one table lookup, each from a new
        // keyed offset, as Linux's NAT does: a nearly full range may refuse a flow while a port is
        // still free, but a full one costs about 255 lookups per refused packet instead of the range.
        // The counter moves past every candidate walked, those of other shards included (RFC 6056's
        // next_ephemeral): the next search towards the same remote starts beyond the port just chosen,
        // so a port freed by a cut flow is not handed out again before the range comes round, while
        // the remote may still hold the old connection on it and would answer a new SYN with a
        // challenge ACK instead of a SYN-ACK.
        ulong walked = 0;
        for (var attempts = FirstRound; attempts > 0; attempts /= 2)
        {
            // Ports of other shards cost no lookup; the walk over them is bounded too.
            var candidates = Math.Min(size, (ulong)attempts * (ulong)_shards.Count * 4);
            var taken = 0;
            for (ulong tried = 0; tried < candidates && taken < attempts; tried++)
            {
                walked++;
                var candidate = (ushort)(range.First + (start + tried) % size);
                var key = ReplyKey(protocol, uplink, remote, remotePort, candidate);
                if (_shards.Count > 1 && _shards.Of(key) != _shard)
                {
                    continue;
                }
                taken++;
                if (!_table.Lookup(in key, nowMs, out _, out _))
                {
                    _next += walked;
                    port = candidate;
                    reason = DropReason.None;
                    return true;
                }
            }
            start = (offset ^ (_next + walked) * 0x9E3779B97F4A7C15UL) % size;
        }
        _next += walked;
        port = 0;
        reason = DropReason.NatPortsExhausted;
        return false;
    }

    /// <summary>Table lookups in the first round of a search (Linux's NF_NAT_MAX_ATTEMPTS).</summary>
    public const int FirstRound = 128;

    /// <summary>The key replies carry: from the remote to the uplink's chosen port (or, for ICMP queries, with the chosen identifier).</summary>
    public static FlowKey ReplyKey(byte protocol, NetAddress uplink, NetAddress remote, ushort remotePort, ushort port) =>
        IsQueryProtocol(protocol)
            ? new FlowKey(remote, uplink, protocol, port, port)
            : new FlowKey(remote, uplink, protocol, remotePort, port);

    private static bool IsQueryProtocol(byte protocol) => protocol is 1 or 58;
}
