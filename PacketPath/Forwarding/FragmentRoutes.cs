using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The worker a packet goes to, fragments included. A later fragment carries no ports, so it cannot
/// name its flow's shard: the worker that reads a datagram's first fragment notes here which shard
/// its flow went to, and whichever worker reads a later fragment sends it there. While a note is
/// live (its datagram still passing, at most 30 s), another first fragment of the same key goes to
/// the noted worker too, which drops it as a second first fragment, as one worker would: a forged
/// or reused one can neither move the route of the datagram passing nor be forwarded beside it.
/// The worker holding the pass forgets the note when the datagram ends or its first fragment is
/// dropped. Shared by the workers without a lock: each note is one 64-bit word (the key's hash, a
/// time in seconds, the owner), written whole, so a reader sees a whole note or none.
/// </summary>
/// <remarks>
/// One table for all workers, not one per reader: the kernel picks a TUN queue for a fragment by
/// its addresses and by which queue last wrote a packet with those addresses, so two flows to one
/// remote host that belong to different workers can move its datagrams' fragments from one queue to
/// another between a first fragment and the rest. Each note goes into two slots chosen by different
/// bits of the hash, and a reader takes either: other datagrams' notes must overwrite both for a
/// route to be lost.
/// </remarks>
public sealed class FragmentRoutes
{
    private const int Slots = 16384;
    private const ulong OwnerMask = 0xFF;
    private const ulong TagMask = ~0xFF_FFFFUL;
    private const ulong LiveSeconds = 30;
    private readonly ulong[] _notes = new ulong[Slots];
    private readonly ulong _seed;

    public FragmentRoutes(ulong seed) => _seed = seed;

    /// <summary>The shard of <paramref name="packet"/> (<see cref="FlowOwner.Of"/>); a later fragment whose first was not read goes to shard 0, which drops it.</summary>
    public int OwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info, long nowMs)
    {
        if (!info.IsFragment)
        {
            return FlowOwner.Of(shards, packet, info);
        }
        var hash = FragmentKey.From(info).Hash(_seed);
        ref var one = ref _notes[(int)(hash >> 50)];
        ref var other = ref _notes[(int)(hash >> 8) & (Slots - 1)];
        var tag = hash & TagMask;
        var now = (ulong)(nowMs / 1000) & 0xFFFF;
        var seen = Volatile.Read(ref one);
        if ((seen & TagMask) != tag)
        {
            seen = Volatile.Read(ref other);
        }
        var noted = seen != 0 && (seen & TagMask) == tag;
        if (info.FragmentOffset != 0)
        {
            return noted ? (int)(seen & OwnerMask) - 1 : 0;
        }
        if (noted && ((now - (seen >> 8)) & 0xFFFF) < LiveSeconds)
        {
            return (int)(seen & OwnerMask) - 1;
        }
        var owner = FlowOwner.Of(shards, packet, info);
        var note = tag | now << 8 | (uint)(owner + 1);
        Volatile.Write(ref one, note);
        Volatile.Write(ref other, note);
        return owner;
    }

    /// <summary>
    /// Called by worker <paramref name="owner"/> when the datagram of <paramref name="info"/>'s key
    /// ended (its last fragment passed) or its first fragment was dropped: the next first fragment of
    /// the key goes by its own flow again.
    /// </summary>
    public void Forget(in PacketInfo info, int owner)
    {
        var hash = FragmentKey.From(info).Hash(_seed);
        Forget(ref _notes[(int)(hash >> 50)], hash & TagMask, owner);
        Forget(ref _notes[(int)(hash >> 8) & (Slots - 1)], hash & TagMask, owner);
    }

    private static void Forget(ref ulong slot, ulong tag, int owner)
    {
        var seen = Volatile.Read(ref slot);
        if ((seen & TagMask) == tag && (int)(seen & OwnerMask) - 1 == owner)
        {
            // Unless another datagram's note took the slot meanwhile.
            Interlocked.CompareExchange(ref slot, 0, seen);
        }
    }
}
