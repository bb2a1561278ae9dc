using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tracking;

/// <summary>
/// What the fragments of one IP datagram share: addresses, protocol and identification for IPv4
/// (RFC 791 §3.2); addresses and identification for IPv6 (RFC 8200 §4.5), whose later fragments
/// name the header after the fragment header rather than the transport.
/// </summary>
public readonly record struct FragmentKey(NetAddress Source, NetAddress Destination, byte Protocol, uint Id)
{
    public static FragmentKey From(in PacketInfo info) =>
        new(info.Source, info.Destination, info.Version == 4 ? info.Protocol : (byte)0, info.FragmentId);

    /// <summary>Keyed like <see cref="FlowKey.Hash"/>, the identification in place of the ports.</summary>
    public ulong Hash(ulong seed) => new FlowKey(Source, Destination, Protocol, (ushort)(Id >> 16), (ushort)Id).Hash(seed);
}
