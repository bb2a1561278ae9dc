using System.Buffers.Binary;

namespace Lethe.PacketPath.Wire;

/// <summary>The Internet checksum (RFC 1071) and its incremental update (RFC 1624).</summary>
public static class Checksum
{
    /// <summary>Adds 16-bit big-endian words of <paramref name="data"/> to a running one's-complement sum (not yet folded).</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }
        return sum;
    }

    /// <summary>
    /// Like <see cref="Add"/>, but takes the 16-bit field at <paramref name="fieldOffset"/> (even) as
    /// zero: the sum a checksum field must be computed from.
    /// </summary>
    public static ulong AddSkippingField(ulong sum, ReadOnlySpan<byte> data, int fieldOffset) =>
        Add(Add(sum, data[..fieldOffset]), data[(fieldOffset + 2)..]);

    /// <summary>Folds a running sum to 16 bits and complements it: the value to store in a header.</summary>
    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>The IPv4/IPv6 pseudo-header sum for TCP, UDP and ICMPv6 (RFC 793, RFC 8200 §8.1).</summary>
    public static ulong PseudoHeader(NetAddress source, NetAddress destination, byte protocol, int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        ulong sum = 0;
        source.WriteTo(bytes);
        sum = Add(sum, source.IsV6 ? bytes : bytes[..4]);
        destination.WriteTo(bytes);
        sum = Add(sum, destination.IsV6 ? bytes : bytes[..4]);
        sum += protocol;
        sum += (ulong)(length & 0xFFFF) + (ulong)(length >> 16);
        return sum;
    }

    /// <summary>RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field changing from m to m'.</summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord)
    {
        uint sum = (ushort)~checksum + (uint)(ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Updates a checksum for an address change (2 words for IPv4, 8 for IPv6).</summary>
    public static ushort Update(ushort checksum, NetAddress oldAddress, NetAddress newAddress)
    {
        var words = oldAddress.IsV6 ? 8 : 2;
        for (var i = words - 1; i >= 0; i--)
        {
            checksum = Update(checksum, (ushort)(oldAddress.Bits >> (16 * i)), (ushort)(newAddress.Bits >> (16 * i)));
        }
        return checksum;
    }
}
