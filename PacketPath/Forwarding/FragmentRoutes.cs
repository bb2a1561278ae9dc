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
    private const int Slots = 4096;
    private const ulong OwnerMask = 0xFF;
    private readonly ulong[] _notes = new ulong[Slots];
    private readonly ulong _seed;

    public FragmentRoutes(ulong seed) => _seed = seed;

    /// <summary>The shard of <paramref name="packet"/> (<see cref="FlowOwner.Of"/>); a later fragment whose first was not read goes to shard 0, which drops it.</summary>
    public int OwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info)
    {
        if (!info.IsFragment)
        {
            return FlowOwner.Of(shards, packet, info);
        }
        var hash = FragmentKey.From(info).Hash(_seed);
        ref var note = ref _notes[(int)(hash >> 52) & (Slots - 1)];
        if (info.FragmentOffset == 0)
        {
            var owner = FlowOwner.Of(shards, packet, info);
            Volatile.Write(ref note, (hash & ~OwnerMask) | (uint)(owner + 1));
            return owner;
        }
        var seen = Volatile.Read(ref note);
        return (seen & ~OwnerMask) == (hash & ~OwnerMask) && seen != 0 ? (int)(seen & OwnerMask) - 1 : 0;
    }
}
