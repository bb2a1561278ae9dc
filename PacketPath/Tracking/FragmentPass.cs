using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// How a datagram's first fragment went through, for its later fragments to follow: the flow it
/// belongs to (as the first fragment arrived, so a flow cut since stops them), the addresses it left
/// with, the side it came from and where it went.
/// </summary>
public readonly record struct FragmentPass(FlowKey Flow, NetAddress Source, NetAddress Destination, int Ingress, int Egress, int Client);
