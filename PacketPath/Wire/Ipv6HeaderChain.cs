namespace Lethe.PacketPath.Wire;

/// <summary>
/// Where an IPv6 extension-header walk ended (<see cref="Ipv6Packet.TryWalkExtensionHeaders"/>).
/// Offsets count from the start of the IPv6 header.
/// </summary>
/// <param name="Protocol">The first header that is not an extension header: TCP, UDP, ICMPv6, ESP, no-next-header, or unknown. For a non-first fragment, the fragment header's next header.</param>
/// <param name="TransportOffset">Where that header starts; for a non-first fragment, where the fragment data starts.</param>
/// <param name="FragmentHeaderOffset">Offset of the fragment header, or 0 when there is none.</param>
/// <param name="FragmentOffset">Fragment offset in bytes.</param>
/// <param name="MoreFragments">The fragment header's M flag.</param>
/// <param name="FragmentId">The fragment header's identification.</param>
/// <param name="RoutingHeaderOffset">Offset of a Routing header with segments left, or 0 when there is none.</param>
public readonly record struct Ipv6HeaderChain(
    byte Protocol,
    int TransportOffset,
    int FragmentHeaderOffset,
    int FragmentOffset,
    bool MoreFragments,
    uint FragmentId,
    int RoutingHeaderOffset = 0)
{
    public bool HasFragmentHeader => FragmentHeaderOffset != 0;

    /// <summary>
    /// A fragment header with an offset or the M flag. An atomic fragment (offset 0, no M) is a whole
    /// packet and is processed as one (RFC 6946 §4).
    /// </summary>
    public bool IsFragment => HasFragmentHeader && (MoreFragments || FragmentOffset != 0);

    /// <summary>Where the fragmentable part starts: just after the fragment header.</summary>
    public int FragmentDataOffset => FragmentHeaderOffset + Ipv6Packet.FragmentHeaderLength;
}
