using System.CommandLine;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>The options boot and replay share: how the engine is set up around a snapshot.</summary>
public sealed class EngineFlags
{
    public Option<string> Snapshot { get; } = new("--snapshot") { Description = "Snapshot file, or the control plane's URL of one (…/snapshots/latest)", Required = true };

    public Option<string> Trust { get; } = new("--trust") { Description = "The control plane's public key (PEM); anything it does not verify is refused", Required = true };

    public Option<string[]> UplinkAddress { get; } = new("--uplink-address")
    {
        Description = "The firewall's uplink address clients are masqueraded behind, A or A/N (at most one IPv4 and one IPv6, unicast; a family without one " +
            "is routed untranslated). With the uplink's prefix length N, a client's packet to the IPv4 prefix's broadcast is dropped (directed-broadcast) " +
            "and one to the IPv6 prefix's first address (subnet-router anycast) is refused as one to the firewall's own (addressed-to-firewall)",
    };

    public Option<string[]> Dns { get; } = new("--dns") { Description = "A DNS resolver (repeatable): what specialtarget=dns means; boot also resolves dsthost names there (replay takes --resolve)" };

    public Option<bool> SilentDrop { get; } = new("--silent-drop") { Description = "Drop without answering ICMP administratively prohibited (reject rules still answer)" };

    public Option<int> MaxFlows { get; } = new("--max-flows") { Description = "Hard bound on tracked flows, 1..16777216 (boot splits it evenly between its workers)", DefaultValueFactory = _ => 65_536 };

    public IEnumerable<Option> All => [Snapshot, Trust, UplinkAddress, Dns, SilentDrop, MaxFlows];

    /// <summary>
    /// Refuses an uplink address replies could never reach: flows would leave translated behind it,
    /// and every reply would be dropped as never forwarded. boot, replay and nft alike.
    /// </summary>
    internal static void RefuseUnreachable(string text, NetAddress address)
    {
        if (address.IsNeverForwarded || address.ToIPAddress().IsIPv4MappedToIPv6)
        {
            throw new FlagException($"--uplink-address: {text} is a multicast, broadcast, loopback, unspecified, link-local or IPv4-mapped address; replies to it could never be forwarded");
        }
    }

    /// <summary>
    /// What --uplink-address and --dns say on their own, checked by boot, replay and nft before they read the key or the
    /// snapshot: a typing error is told at once (exit 2), not after a fetch of up to 15 s, nor hidden behind a refusal of
    /// the snapshot. Whether an uplink address is a client's waits for the snapshot.
    /// </summary>
    /// <exception cref="FlagException">As <see cref="UplinkAddresses"/> and <see cref="Resolvers"/> refuse them.</exception>
    public void CheckAddresses(ParseResult parse)
    {
        UplinkAddresses(parse, content: null);
        Resolvers(parse);
    }

    /// <summary>At most one uplink address of each family, none a client's of <paramref name="content"/>; boot, replay and nft read them alike.</summary>
    /// <param name="content">The snapshot's, or null before it is read: then no address is checked against the clients.</param>
    /// <exception cref="FlagException">
    /// Not an address (with a prefix length or none), one replies could never reach, a prefix's network, broadcast
    /// or subnet-router anycast address, two of one family, or a client's (or a prefix whose broadcast or anycast is a client's).
    /// </exception>
    public (UplinkAddress? V4, UplinkAddress? V6) UplinkAddresses(ParseResult parse, Lethe.Domain.Snapshots.SnapshotContent? content)
    {
        UplinkAddress? v4 = null, v6 = null;
        foreach (var text in parse.GetValue(UplinkAddress) ?? [])
        {
            var given = Lethe.Firewall.UplinkAddress.Parse(text);
            var address = given.Address;
            if ((address.IsV6 ? v6 : v4) is { } earlier)
            {
                throw new FlagException(earlier.Address == address
                    ? $"--uplink-address: {address} is given twice"
                    : $"--uplink-address: {earlier.Address} and {address} are both IPv{(address.IsV6 ? 6 : 4)}; give at most one of each family");
            }
            if (content is not null && ClientHolding(content, address) is { } client)
            {
                throw new FlagException($"--uplink-address: {address} is client {client}'s address in the snapshot; the firewall's own address cannot be a client's");
            }
            if (content is not null && given.PrefixOwned is { } owned && ClientHolding(content, owned.Address) is { } holder)
            {
                throw new FlagException($"--uplink-address: {owned.Address}, the {owned.Name} of {given}, is client {holder}'s address in the snapshot; " +
                    "the firewall takes it as its own, so no one could reach that client");
            }
            if (address.IsV6) v6 = given;
            else v4 = given;
        }
        return (v4, v6);
    }

    /// <summary>
    /// The client of <paramref name="content"/> that holds <paramref name="address"/>, or null. The
    /// firewall drops what is addressed to itself, so a client holding its uplink address could be
    /// reached by no one: boot refuses that, and so does a swap.
    /// </summary>
    public static string? ClientHolding(Lethe.Domain.Snapshots.SnapshotContent content, NetAddress address)
    {
        foreach (var client in content.Clients)
        {
            foreach (var text in client.Addresses)
            {
                if (System.Net.IPAddress.TryParse(text, out var owned) && NetAddress.From(owned) == address)
                {
                    return client.Name;
                }
            }
        }
        return null;
    }

    /// <exception cref="FlagException">Outside 1..<see cref="Lethe.PacketPath.Tracking.ConnectionLimits.MaxCapacity"/>.</exception>
    public int MaxFlowCount(ParseResult parse)
    {
        var maxFlows = parse.GetValue(MaxFlows);
        return maxFlows is >= 1 and <= Lethe.PacketPath.Tracking.ConnectionLimits.MaxCapacity
            ? maxFlows
            : throw new FlagException($"--max-flows: {maxFlows} is outside 1..{Lethe.PacketPath.Tracking.ConnectionLimits.MaxCapacity}");
    }

    public EngineOptions Options(ParseResult parse, ulong? seed, Lethe.Domain.Snapshots.SnapshotContent content)
    {
        var (v4, v6) = UplinkAddresses(parse, content);
        var maxFlows = MaxFlowCount(parse);
        return new EngineOptions
        {
            UplinkV4 = v4?.Address,
            UplinkV6 = v6?.Address,
            UplinkPrefixLengthV4 = v4?.PrefixLength ?? 32,
            UplinkPrefixLengthV6 = v6?.PrefixLength ?? 128,
            DnsResolvers = Resolvers(parse).ToArray(),
            SilentDrop = parse.GetValue(SilentDrop),
            // As many clients as a table entry can name: the control plane sets no bound, and a counter per
            // client costs 4 bytes, resident only for the clients there are.
            Limits = new Lethe.PacketPath.Tracking.ConnectionLimits { Capacity = maxFlows, MaxClients = Lethe.PacketPath.Tracking.ConnectionTable.MaxClients },
            Seed = seed,
        };
    }

    /// <summary>Boot and replay refuse a policy of more clients than the table can tell apart, as they refuse one that does not verify.</summary>
    /// <exception cref="Lethe.Domain.Snapshots.SnapshotVerificationException">Names both numbers.</exception>
    public static void CheckClientCount(Lethe.PacketPath.Classification.CompiledPolicy compiled, EngineOptions options)
    {
        if (compiled.ClientCount > options.Limits.MaxClients)
        {
            throw new Lethe.Domain.Snapshots.SnapshotVerificationException(
                $"the policy has {compiled.ClientCount} clients; the firewall tells at most {options.Limits.MaxClients} apart");
        }
    }

    /// <summary>
    /// What boot and replay say when the flow tables --max-flows asks for (and boot's <paramref name="workers"/>,
    /// each with its handoff rings) cannot be allocated: a container's memory limit, say.
    /// </summary>
    public string TooManyFlows(ParseResult parse, int? workers = null) =>
        $"--max-flows {parse.GetValue(MaxFlows)}{(workers is { } w ? $" with --workers {w}" : "")}: " +
        $"the flow tables do not fit in the memory this process may use ({GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20} MiB); " +
        (workers is null ? "give a smaller number" : "give fewer flows or workers");

    /// <summary>The --dns resolvers, each once, in the order given.</summary>
    /// <exception cref="FlagException">
    /// Not an address, or one no query can be sent to (multicast, broadcast, unspecified, link-local, IPv4-mapped): specialtarget=dns would
    /// match a destination no client uses for DNS, and boot's own lookups would go nowhere.
    /// </exception>
    public IReadOnlyList<NetAddress> Resolvers(ParseResult parse)
    {
        var resolvers = new List<NetAddress>();
        foreach (var text in parse.GetValue(Dns) ?? [])
        {
            var address = ParseAddress("--dns", text);
            var ip = address.ToIPAddress();
            // What the firewall never forwards, but for loopback (a resolver on the firewall's own host, for
            // boot's lookups). Link-local takes a scope no flag gives; an IPv4-mapped address would be asked
            // over IPv6, and specialtarget=dns would not match the IPv4 queries clients send to it.
            if ((address.IsNeverForwarded && !System.Net.IPAddress.IsLoopback(ip)) || ip.IsIPv4MappedToIPv6)
            {
                throw new FlagException($"--dns: {text} is a multicast, broadcast, unspecified, link-local or IPv4-mapped address; give a resolver's unicast address");
            }
            if (!resolvers.Contains(address))
            {
                resolvers.Add(address);
            }
        }
        return resolvers;
    }

    public static NetAddress ParseAddress(string flag, string text) =>
        Lethe.Domain.Rules.RuleParser.ParseAddress(text) is { } address
            ? NetAddress.From(address)
            : throw new FlagException($"{flag}: '{text}' is not an IPv4 or IPv6 address");
}

/// <summary>A flag value that makes no sense; reported as `error: ...` with exit code 2.</summary>
public sealed class FlagException(string message) : Exception(message);
