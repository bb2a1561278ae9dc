using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>Which worker's shard a packet belongs to, read from the packet alone.</summary>
public static class FlowOwner
{
    /// <summary>
    /// The shard of the packet's flow; for an ICMP error, of the flow it quotes. A packet that does
    /// not parse goes to shard 0, whose engine drops it with its reason.
    /// </summary>
    public static int Of(FlowShards shards, ReadOnlySpan<byte> packet)
    {
        if (shards.Count == 1 || !PacketParser.TryParse(packet, out var info, out _))
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
