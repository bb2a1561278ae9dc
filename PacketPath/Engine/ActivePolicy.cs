using Lethe.PacketPath.Classification;

namespace Lethe.PacketPath.Engine;

/// <summary>
/// One booted snapshot: its compiled classifier, its dsthost answers and its rule counters. The
/// engine holds exactly one and replaces it whole, so every packet sees the old policy or the new.
/// </summary>
public sealed class ActivePolicy
{
    public ActivePolicy(CompiledPolicy compiled, int version, HostTable hosts)
    {
        Compiled = compiled;
        Version = version;
        Hosts = hosts;
        RuleHits = new long[compiled.ClientCount][];
        for (var c = 0; c < compiled.ClientCount; c++)
        {
            RuleHits[c] = new long[compiled.RuleCount(c)];
        }
        ClientPackets = new long[compiled.ClientCount];
        ClientBytes = new long[compiled.ClientCount];
        TableSlots = Enumerable.Range(0, compiled.ClientCount).ToArray();
    }

    /// <summary>
    /// Per client, the number the connection table counts its flows (and quota) under. A client keeps
    /// its number across swaps, however the snapshot orders clients; <see cref="PacketEngine.Swap"/> sets it.
    /// </summary>
    internal int[] TableSlots { get; set; }

    public CompiledPolicy Compiled { get; }

    /// <summary>The snapshot version it was booted from.</summary>
    public int Version { get; }

    public HostTable Hosts { get; }

    /// <summary>New flows each rule decided, per client.</summary>
    public long[][] RuleHits { get; }

    public long[] ClientPackets { get; }

    public long[] ClientBytes { get; }
}
