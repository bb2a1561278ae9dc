using Lethe.PacketPath.Classification;

namespace Lethe.Firewall;

/// <summary>What a swap attempt did: a line for the log, and the host table the new policy reads dsthost answers from, when it was swapped in.</summary>
public sealed record SwapOutcome(string Line, HostTable? Hosts);
