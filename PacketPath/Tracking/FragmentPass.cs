using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// How a datagram's first fragment went through, for its later fragments to follow: its flow, by
/// the key the first fragment arrived with and by the flow's original key (so that a flow cut or
/// ended since stops them, even when another client's flow took over the same translated key), the
/// addresses it left with, the side it came from, where it went, and where the next fragment must
/// start: fragments pass in order, each where the one before ended, so none overlaps what passed
/// (nor the headers the rules read), and the last one ends the datagram's pass. An IPv4 datagram
/// translated behind the uplink address leaves under an identification of the firewall's
/// (<see cref="LeavingId"/>, -1 when kept).
/// </summary>
public readonly record struct FragmentPass(
    FlowKey Arrived,
    FlowKey Original,
    NetAddress Source,
    NetAddress Destination,
    int Ingress,
    int Egress,
    int Client,
    int NextOffset,
    int LeavingId);
