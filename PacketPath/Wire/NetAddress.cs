using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lethe.PacketPath.Wire;

/// <summary>
/// An IPv4 or IPv6 address as a value: 128 bits and a family flag, so the hot path compares and
/// hashes addresses without allocating <see cref="IPAddress"/> objects. IPv4 uses the low 32 bits.
/// </summary>
public readonly record struct NetAddress(UInt128 Bits, bool IsV6)
{
    public static NetAddress V4(uint address) => new(address, false);

    public static NetAddress FromV4Bytes(ReadOnlySpan<byte> four) => new(BinaryPrimitives.ReadUInt32BigEndian(four), false);

    public static NetAddress FromV6Bytes(ReadOnlySpan<byte> sixteen) => new(BinaryPrimitives.ReadUInt128BigEndian(sixteen), true);

    public static NetAddress From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        return length == 4 ? FromV4Bytes(bytes[..4]) : FromV6Bytes(bytes);
    }

    /// <summary>Parses "192.0.2.1" or "2001:db8::1"; for configuration and tests, not the packet path.</summary>
    public static NetAddress Parse(string text) => From(IPAddress.Parse(text));

    public uint V4Bits => (uint)Bits;

    public void WriteTo(Span<byte> destination)
    {
        if (IsV6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(destination, Bits);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Bits);
        }
    }

    /// <summary>True when the first <paramref name="prefixLength"/> bits equal <paramref name="network"/>'s.</summary>
    public bool IsWithin(NetAddress network, int prefixLength)
    {
        if (IsV6 != network.IsV6)
        {
            return false;
        }
        var width = IsV6 ? 128 : 32;
        if (prefixLength <= 0)
        {
            return true;
        }
        var shift = width - prefixLength;
        return (Bits >> shift) == (network.Bits >> shift);
    }

    /// <summary>
    /// Multicast, limited broadcast, loopback, unspecified (IPv4's 0.0.0.0/8 too), link-local or
    /// IPv4-mapped (::ffff:0:0/96): a destination no router forwards to (RFC 1812 §5.3.5.1 and §5.3.7,
    /// RFC 4291 §2.5.3, §2.5.6 and §2.7, RFC 3927 §2.7, RFC 6890's registry), and Linux's forwarding
    /// does not either, but for IPv4-mapped ones, which it forwards: a stateless translator (SIIT)
    /// upstream would carry those to the IPv4 address inside, past every dst4 rule.
    /// </summary>
    public bool IsNeverForwarded => IsV6
        ? (byte)(Bits >> 120) == 0xFF || Bits <= 1 || Bits >> 32 == 0xFFFF || IsLinkLocal
        : V4Bits >> 28 == 0xE || V4Bits == uint.MaxValue || V4Bits >> 24 is 0 or 127 || IsLinkLocal;

    /// <summary>fe80::/10 or 169.254.0.0/16: meaningful on one link only, so never forwarded from one link to another, as source or destination.</summary>
    public bool IsLinkLocal => IsV6 ? (ushort)(Bits >> 112) >> 6 == 0xFE80 >> 6 : V4Bits >> 16 == 0xA9FE;

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return new IPAddress(IsV6 ? bytes : bytes[..4]);
    }

    public static bool IsFamilyV6(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6;

    public override string ToString() => ToIPAddress().ToString();
}
