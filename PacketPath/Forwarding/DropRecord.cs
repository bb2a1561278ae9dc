using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Forwarding;

/// <summary>One dropped packet as a worker saw it, for <c>boot --log-drops</c>.</summary>
public struct DropRecord
{
    /// <summary>When it was dropped, on the workers' monotonic clock (<see cref="Environment.TickCount64"/>).</summary>
    public long AtMs;

    /// <summary>Its headers as read before the engine judged it; only when <see cref="Parsed"/>.</summary>
    public PacketInfo Packet;

    /// <summary>False for a packet whose headers could not be read (<see cref="Reason"/> says why).</summary>
    public bool Parsed;

    /// <summary>Its length as read from the device (a super-packet's whole length).</summary>
    public int Length;

    public DropReason Reason;

    /// <summary>The client it came from (an index into <see cref="Policy"/>'s clients), or <see cref="Ingress.Uplink"/>.</summary>
    public int Ingress;

    /// <summary>The client whose rule decided the drop, and that rule's index among its rules; -1 when no rule did.</summary>
    public int Client;

    public int RuleIndex;

    /// <summary>
    /// The policy the worker judged it by: the indices above are that policy's, and a swap between the
    /// drop and the line that names it must not make them name another client's rule.
    /// </summary>
    public ActivePolicy Policy;
}
