using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>Which worker's shard a packet belongs to, read from the packet alone.</summary>
public static class FlowOwner
{
    /// <summary>
    /// The shard of the flow of <paramref name="packet"/>, parsed as <paramref name="info"/>; for an
    /// ICMP error, of the flow it quotes (shard 0 when the quote is too short to tell).
    /// </summary>
    public static int Of(FlowShards shards, ReadOnlySpan<byte> packet, in PacketInfo info)
    {
        if (shards.Count == 1)
        {
            return 0;
        }
        if (info.IsIcmpError)
        {
            return NatRewriter.TryReadQuotedFlow(packet, info, out var quoted) ? shards.Of(quoted) : 0;
        }
        return shards.Of(FlowKey.From(info));
    }
}
