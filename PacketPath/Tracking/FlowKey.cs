using System.Numerics;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// One direction of a flow as it appears on the wire. For ICMP queries (echo and the like) both
/// ports hold the query identifier, as <see cref="PacketInfo"/> reports them, so a request and its
/// reply have mirrored keys like TCP and UDP.
/// </summary>
public readonly record struct FlowKey(
    NetAddress Source,
    NetAddress Destination,
    byte Protocol,
    ushort SourcePort,
    ushort DestinationPort)
{
    public static FlowKey From(in PacketInfo info) =>
        new(info.Source, info.Destination, info.Protocol, info.SourcePort, info.DestinationPort);

    /// <summary>The key the other direction of this flow carries when no translation happens.</summary>
    public FlowKey Reversed() => new(Destination, Source, Protocol, DestinationPort, SourcePort);

    public bool Equals(FlowKey other) =>
        Source.Bits == other.Source.Bits
        && Destination.Bits == other.Destination.Bits
        && SourcePort == other.SourcePort
        && DestinationPort == other.DestinationPort
        && Protocol == other.Protocol
        && Source.IsV6 == other.Source.IsV6
        && Destination.IsV6 == other.Destination.IsV6;

    public override int GetHashCode() => (int)Hash(0);

    /// <summary>
    /// A 64-bit hash keyed by <paramref name="seed"/>. The connection table keeps its seed secret so
    /// that clients cannot aim many keys at one probe run; the mixing is not a cryptographic PRF.
    /// Stable for a given seed, so a sharded table can pick a shard from it.
    /// </summary>
    public ulong Hash(ulong seed)
    {
        var h = seed ^ 0x9E3779B97F4A7C15UL;
        h = Round(h, (ulong)Source.Bits);
        h = Round(h, (ulong)(Source.Bits >> 64));
        h = Round(h, (ulong)Destination.Bits);
        h = Round(h, (ulong)(Destination.Bits >> 64));
        h = Round(h,
            (ulong)SourcePort
            | (ulong)DestinationPort << 16
            | (ulong)Protocol << 32
            | (Source.IsV6 ? 1UL << 40 : 0)
            | (Destination.IsV6 ? 1UL << 41 : 0));
        // MurmurHash3 fmix64: every input bit reaches every output bit.
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }

    // xxHash64's round.
    private static ulong Round(ulong h, ulong value) =>
        BitOperations.RotateLeft(h + value * 0xC2B2AE3D27D4EB4FUL, 31) * 0x9E3779B97F4A7C15UL;
}
