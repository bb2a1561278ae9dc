namespace Lethe.PacketPath.Wire;

/// <summary>
/// The addresses an uplink address's prefix alone makes the host's own, as Linux has them once the address
/// is on the interface with that prefix: the IPv4 subnet's directed broadcast (its last address, but on a
/// /31 or /32, RFC 3021) and the IPv6 subnet-router anycast (its first address, but on a /127 or /128,
/// RFC 4291 §2.6.1 and RFC 6164). Worked out once, when the engine or the ruleset is set up.
/// </summary>
public static class UplinkPrefix
{
    /// <summary>The first address of <paramref name="address"/>'s prefix of <paramref name="length"/> bits.</summary>
    public static NetAddress Network(NetAddress address, int length) => new(address.Bits & ~HostBits(address.IsV6, length), address.IsV6);

    /// <summary>The last address of <paramref name="address"/>'s prefix of <paramref name="length"/> bits.</summary>
    public static NetAddress Last(NetAddress address, int length) => new(address.Bits | HostBits(address.IsV6, length), address.IsV6);

    /// <summary>The directed broadcast of an IPv4 address's prefix, or null (IPv6, or a /31 or /32 has none).</summary>
    public static NetAddress? DirectedBroadcast(NetAddress address, int length) =>
        !address.IsV6 && length <= 30 ? Last(address, length) : null;

    /// <summary>The subnet-router anycast of an IPv6 address's prefix, or null (IPv4, or a /127 or /128 has none).</summary>
    public static NetAddress? SubnetRouterAnycast(NetAddress address, int length) =>
        address.IsV6 && length <= 126 ? Network(address, length) : null;

    private static UInt128 HostBits(bool v6, int length)
    {
        var width = v6 ? 128 : 32;
        if (length < 0 || length > width)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"a prefix length is 0..{width}");
        }
        return length == 0 ? (v6 ? UInt128.MaxValue : uint.MaxValue) : ((UInt128)1 << (width - length)) - 1;
    }
}
