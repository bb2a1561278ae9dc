using System.Net;
using System.Net.Sockets;

namespace Lethe.Domain.Rules;

/// <summary>
/// An address with a prefix length. Host bits under the prefix are kept as written (Qubes accepts
/// them and does not normalise), but matching treats the value as the network.
/// </summary>
public readonly record struct Cidr(IPAddress Address, int PrefixLength)
{
    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;

    public bool Contains(IPAddress candidate)
    {
        if (candidate.AddressFamily != Address.AddressFamily)
        {
            return false;
        }
        Span<byte> network = stackalloc byte[16];
        Span<byte> other = stackalloc byte[16];
        Address.TryWriteBytes(network, out var length);
        candidate.TryWriteBytes(other, out _);
        var full = PrefixLength / 8;
        if (!network[..full].SequenceEqual(other[..full]))
        {
            return false;
        }
        var rest = PrefixLength % 8;
        if (rest == 0 || full >= length)
        {
            return true;
        }
        var mask = (byte)(0xFF << (8 - rest));
        return (network[full] & mask) == (other[full] & mask);
    }

    public bool Overlaps(Cidr other) =>
        other.Address.AddressFamily == Address.AddressFamily &&
        (PrefixLength <= other.PrefixLength ? Contains(other.Address) : other.Contains(Address));

    public override string ToString() => $"{Address}/{PrefixLength}";
}
