using System.Globalization;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// One --uplink-address: the firewall's address on the uplink and the length of the prefix it holds
/// there (A/N; A alone is a /32 or /128, no prefix). The prefix tells the firewall what else the kernel
/// holding it takes as the host's own (<see cref="UplinkPrefix"/>).
/// </summary>
public sealed record UplinkAddress(NetAddress Address, int PrefixLength)
{
    public int Width => Address.IsV6 ? 128 : 32;

    /// <summary>
    /// What the prefix makes the firewall's own beside its address, named: the IPv4 prefix's broadcast or the
    /// IPv6 prefix's subnet-router anycast; null for a prefix without one. No client may hold it, as none may
    /// hold the address itself: the firewall takes what is sent to it, so no one could reach that client.
    /// </summary>
    public (NetAddress Address, string Name)? PrefixOwned => PrefixOwnedBy(Address, PrefixLength);

    /// <inheritdoc cref="PrefixOwned"/>
    public static (NetAddress Address, string Name)? PrefixOwnedBy(NetAddress address, int prefixLength) =>
        UplinkPrefix.DirectedBroadcast(address, prefixLength) is { } broadcast ? (broadcast, "broadcast")
        : UplinkPrefix.SubnetRouterAnycast(address, prefixLength) is { } anycast ? (anycast, "subnet-router anycast")
        : null;

    /// <summary>A/N, or A alone for a /32 or /128.</summary>
    public override string ToString() => PrefixLength == Width ? Address.ToString() : $"{Address}/{PrefixLength}";

    /// <summary>Reads A or A/N: a unicast address replies can reach, and, with a prefix, a host's address in it.</summary>
    /// <exception cref="FlagException">Not that, named as boot, replay and nft name it.</exception>
    public static UplinkAddress Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var address = EngineFlags.ParseAddress("--uplink-address", slash < 0 ? text : text[..slash]);
        EngineFlags.RefuseUnreachable(text, address);
        var width = address.IsV6 ? 128 : 32;
        if (slash < 0)
        {
            return new UplinkAddress(address, width);
        }
        var lengthText = text[(slash + 1)..];
        if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || lengthText.Length > 3)
        {
            throw new FlagException($"--uplink-address: '{text}' has no prefix length after the '/'; give A or A/N, N a number of bits");
        }
        if (length > width)
        {
            throw new FlagException($"--uplink-address: {text}: the prefix length {length} is outside 0..{width} for an IPv{(address.IsV6 ? 6 : 4)} address");
        }
        // On a /31 or /32 (/127, /128) both ends are hosts (RFC 3021, RFC 6164); below, the edges are the prefix's own.
        if (!address.IsV6 && length <= 30 && address == UplinkPrefix.Network(address, length))
        {
            throw new FlagException($"--uplink-address: {text} is its prefix's network address; give a host's address in the prefix");
        }
        if (!address.IsV6 && address == UplinkPrefix.DirectedBroadcast(address, length))
        {
            throw new FlagException($"--uplink-address: {text} is its prefix's broadcast address; give a host's address in the prefix");
        }
        if (address == UplinkPrefix.SubnetRouterAnycast(address, length))
        {
            throw new FlagException($"--uplink-address: {text} is its prefix's subnet-router anycast address; give a host's address in the prefix");
        }
        return new UplinkAddress(address, length);
    }
}
