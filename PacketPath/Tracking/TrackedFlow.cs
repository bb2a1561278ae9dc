namespace Lethe.PacketPath.Tracking;

/// <summary>A copy of one connection table entry, for re-checking flows and for reports; not for the per-packet path.</summary>
public readonly record struct TrackedFlow(
    int Entry,
    FlowKey Original,
    FlowKey Reply,
    int Client,
    int RuleIndex,
    ConnectionState State,
    long LastSeenMs,
    ulong OriginalPackets,
    ulong OriginalBytes,
    ulong ReplyPackets,
    ulong ReplyBytes,
    byte IcmpRequest = 0);
