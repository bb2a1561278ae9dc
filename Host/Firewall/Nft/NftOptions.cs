using System.Net;

namespace Lethe.Firewall.Nft;

/// <summary>
/// What <see cref="NftRenderer"/> needs beyond the snapshot: the time the rules are judged at
/// (expire), the resolvers (specialtarget=dns), the dsthost answers (fixed at render time), the
/// interfaces, the uplink addresses (NAT) and whether drops answer.
/// </summary>
public sealed record NftOptions
{
    /// <summary>Rules whose expire is at or before this UNIX time are left out, as Lethe never matches them.</summary>
    public long NowUnix { get; init; }

    /// <summary>What specialtarget=dns means (the --dns resolvers). None: dns rules match nothing, as in Lethe.</summary>
    public IReadOnlyList<IPAddress> DnsResolvers { get; init; } = [];

    /// <summary>
    /// The answers for dsthost names (--resolve NAME=ADDR). A name missing here is unresolved: its accept
    /// rules match nothing and its drop/reject rules block the whole client, as in Lethe.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> ResolvedHosts { get; init; } =
        new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);

    /// <summary>The uplink interface: masquerade/snat goes out through it and it may not claim a client's source.</summary>
    public string? UplinkInterface { get; init; }

    /// <summary>
    /// Client name to its interfaces. A client with interfaces is recognised by them (and its source is
    /// checked); a client without is recognised by its source addresses, as `replay` does.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ClientInterfaces { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>The firewall's IPv4 uplink address (--uplink-address): snat to it instead of masquerade.</summary>
    public IPAddress? UplinkV4 { get; init; }

    /// <summary>The firewall's IPv6 uplink address (--uplink-address): snat to it instead of masquerade.</summary>
    public IPAddress? UplinkV6 { get; init; }

    /// <summary>
    /// The length of the prefix <see cref="UplinkV4"/> holds on the uplink (--uplink-address A/N; 32: none):
    /// a client's packet to its directed broadcast is dropped silently, as Lethe drops it.
    /// </summary>
    public int UplinkPrefixLengthV4 { get; init; } = 32;

    /// <summary>
    /// The length of the prefix <see cref="UplinkV6"/> holds on the uplink (128: none): a client's packet to its
    /// subnet-router anycast is refused as one to the firewall's own address, as Lethe refuses it.
    /// </summary>
    public int UplinkPrefixLengthV6 { get; init; } = 128;

    /// <summary>Drops (rules, default, blocked clients) drop without answering; reject rules still answer.</summary>
    public bool SilentDrop { get; init; }

    /// <summary>Where the policy came from, for the header (policy, version, hash); null leaves it out.</summary>
    public string? Origin { get; init; }
}
