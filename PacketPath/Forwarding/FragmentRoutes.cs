using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The worker a packet goes to, fragments included. A later fragment carries no ports, so it cannot
/// name its flow's shard: the worker that reads a datagram's first fragment notes where its flow's
/// shard is, and the later fragments, which the kernel puts on the same TUN queue (it picks a queue
/// for a fragment by addresses alone), follow it there, behind it in that worker's ring. One per
/// reading worker, used by its thread alone.
/// </summary>
public sealed class FragmentRoutes
{
    private const int Slots = 256;
    private const long LifetimeMs = 30_000;
    private readonly FragmentTable<int> _owners;

    public FragmentRoutes(ulong seed) => _owners = new FragmentTable<int>(Slots, LifetimeMs, seed);

    /// <summary>The shard of <paramref name="packet"/> (<see cref="FlowOwner.Of"/>); a later fragment whose first was not seen goes to shard 0, which drops it.</summary>
    public int OwnerOf(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info, long nowMs)
    {
        if (!info.IsFragment)
        {
            return FlowOwner.Of(shards, packet, info);
        }
        var key = FragmentKey.From(info);
        if (info.FragmentOffset == 0)
        {
            var owner = FlowOwner.Of(shards, packet, info);
            _owners.Set(key, owner, nowMs);
            return owner;
        }
        return _owners.TryGet(key, nowMs, out var first) ? first : 0;
    }
}
