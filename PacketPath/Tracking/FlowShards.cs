using System.Numerics;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// Splits the flows between workers: each worker owns one connection table (a shard) and only it
/// reads or writes that table, so no lock is ever taken between workers. The shard of a key is the
/// same for both directions (the hash is symmetric in its two endpoints), and the NAT port
/// allocator only picks ports whose reply key falls in the shard of the original key, so every
/// packet of a flow, either way, translated or not, belongs to one worker.
/// </summary>
/// <remarks>
/// Keyed by a secret like the table's own hash, so that a client cannot choose ports that pile all
/// its flows onto one worker. Protocols without ports (nor query identifiers) all go to shard 0:
/// their reply key after NAT has nothing to choose that would keep them in their shard.
/// </remarks>
public sealed class FlowShards
{
    private readonly ulong _secret;

    public FlowShards(int count, ulong secret)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _secret = secret;
    }

    public static FlowShards Single { get; } = new(1, 0);

    public int Count { get; }

    /// <summary>For the kernel's copy of <see cref="Of"/> (<see cref="Forwarding.QueueSteering"/>), which must give the same shards.</summary>
    internal ulong Secret => _secret;

    public int Of(in FlowKey key)
    {
        if (Count == 1 || (key.SourcePort == 0 && key.DestinationPort == 0))
        {
            return 0;
        }
        var ends = Endpoint(key.Source, key.SourcePort) ^ Endpoint(key.Destination, key.DestinationPort);
        var h = (ends ^ _secret) * 0x9E3779B97F4A7C15UL + key.Protocol;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        return (int)((uint)(h >> 32) % (uint)Count);
    }

    private static ulong Endpoint(NetAddress address, ushort port)
    {
        var h = (ulong)address.Bits ^ BitOperations.RotateLeft((ulong)(address.Bits >> 64), 29) ^ ((ulong)port << 48) ^ port;
        h *= 0xC2B2AE3D27D4EB4FUL;
        return h ^ (h >> 31);
    }
}
