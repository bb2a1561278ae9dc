using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The worker a packet goes to, fragments included. A later fragment carries no ports, so it cannot
/// name its flow's shard: the worker that reads a datagram's first fragment notes here which shard
/// its flow went to, and whichever worker reads a later fragment sends it there. Shared by the
/// workers without a lock: each note is one 64-bit word, the key's hash tagging the owner, so a
/// reader sees a whole note or none; a note overwritten by another datagram's (or a hash
/// collision) sends a fragment to a worker that holds no pass for it, which drops it.
/// </summary>
/// <remarks>
/// One table for all workers, not one per reader: the kernel picks a TUN queue for a fragment by
/// its addresses and by which queue last wrote a packet with those addresses, so two flows to one
/// remote host that belong to different workers can move its datagrams' fragments from one queue to
/// another between a first fragment and the rest.
/// </remarks>
public sealed class FragmentRoutes
{
    private const int Slots = 16384;
    private const ulong OwnerMask = 0xFF;
    private readonly ulong[] _notes = new ulong[Slots];
    private readonly ulong _seed;

    public FragmentRoutes(ulong seed) => _seed = seed;

    /// <summary>The shard of <paramref name="packet"/> (<see cref="FlowOwner.Of"/>); a later fragment whose first was not read goes to shard 0, which drops it.</summary>
    /// <remarks>
    /// Each note goes into two slots chosen by different bits of the hash, and a reader takes either:
    /// other datagrams' notes must overwrite both before a datagram's later fragments are read for
    /// its route to be lost.
    /// </remarks>
    public int OwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info)
    {
        if (!info.IsFragment)
        {
            return FlowOwner.Of(shards, packet, info);
        }
        var hash = FragmentKey.From(info).Hash(_seed);
        ref var one = ref _notes[(int)(hash >> 50)];
        ref var other = ref _notes[(int)(hash >> 8) & (Slots - 1)];
        var tag = hash & ~OwnerMask;
        if (info.FragmentOffset == 0)
        {
            var owner = FlowOwner.Of(shards, packet, info);
            var note = tag | (uint)(owner + 1);
            Volatile.Write(ref one, note);
            Volatile.Write(ref other, note);
            return owner;
        }
        var seen = Volatile.Read(ref one);
        if ((seen & ~OwnerMask) != tag)
        {
            seen = Volatile.Read(ref other);
        }
        return seen != 0 && (seen & ~OwnerMask) == tag ? (int)(seen & OwnerMask) - 1 : 0;
    }
}
