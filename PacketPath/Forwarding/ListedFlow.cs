using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// A tracked flow as a listing shows it: a copy its worker took, how long it has been idle and how
/// long it has left, and the policy that worker ran (whose clients name the flow's ends).
/// </summary>
public readonly record struct ListedFlow(TrackedFlow Flow, long IdleMs, long ExpiresInMs, ActivePolicy Policy);
