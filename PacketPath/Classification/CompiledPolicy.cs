using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Classification;

/// <summary>
/// A snapshot compiled for the packet path: per client and address family, bit vectors over the
/// client's rules (Lakshman–Stiliadis), so a new flow costs two binary searches and an AND over
/// rules/64 words with early exit, instead of a walk over every rule.
/// <para>
/// Meaning: exactly <see cref="ReferenceEvaluator.Evaluate"/>, same action and same deciding rule.
/// <see cref="Classify"/> asks the question the reference answers for this <see cref="FlowQuery"/>:
/// <code>
/// Destination     = packet.Destination (its family is the packet's family)
/// Protocol        = packet.Protocol
/// DestinationPort = packet.DestinationPort  when Protocol is 6 (TCP) or 17 (UDP), else null
/// IcmpType        = packet.IcmpType         when Protocol is 1 on IPv4 or 58 on IPv6, else null
/// </code>
/// with an <see cref="EvaluationEnvironment"/> of nowUnix, the resolvers given to
/// <see cref="Compile(SnapshotContent, IReadOnlyList{NetAddress})"/> and the answers in the
/// <see cref="HostTable"/>, per family (a name answered for one family only is, for the reference,
/// in <see cref="EvaluationEnvironment.OneFamilyOnly"/>). (A non-first fragment's "ports" are payload: the caller decides what
/// a fragment without a flow means before asking the classifier.)
/// </para>
/// <para>
/// Structure, per client and family: the family's candidate rules in rule order (bit k = k-th
/// candidate; dst4 rules are absent from the IPv6 side and dst6 from the IPv4 side); an address
/// dimension (elementary ranges from every rule network and, for specialtarget=dns, every
/// resolver; rules without a network are in every row, dsthost rules in none); and an L4
/// dimension per protocol class (TCP and UDP: elementary port intervals; ICMP of the family: one
/// row per type; other protocols: one row). A candidate the AND lets through is then checked for
/// expiry and client isolation, in rule order, and the first that passes decides. dsthost rules,
/// whose answers change at run time, are found from the destination: the <see cref="HostTable"/>
/// names the names whose answers hold it, and the first of their rules that passes bounds the AND.
/// Unresolved dsthost drop/reject rules are checked before anything else, one by one, while some
/// name of the family has no answer.
/// </para>
/// <para>
/// Cost: per new flow, a binary search per dimension plus at most rules/64 AND-ed words (stopping
/// at the first rule that decides), a lookup of the destination among the dsthost answers when the
/// client has dsthost rules, plus one dictionary lookup for isolation when needed. Memory:
/// (address ranges + port intervals) × rules/64 words per family, identical rows stored once.
/// </para>
/// </summary>
public sealed class CompiledPolicy
{
    private const int ClassTcp = 0;
    private const int ClassUdp = 1;
    private const int ClassIcmp = 2;
    private const int ClassOther = 3;

    private static readonly UInt128 V4Max = uint.MaxValue;

    private readonly Client[] _clients;
    private readonly Dictionary<string, int> _byName;
    private readonly Dictionary<NetAddress, Owners> _owners;
    private readonly HostNameTable _hostNames;
    private readonly NetAddress[] _resolvers;

    // A client without rules of a family: its tables hold nothing, and are never written, so all such share these.
    private static readonly Family EmptyV4 = new(0, [], [], [0], [], [], [], [], [], [], new int[256], 0, null, isV6: false);
    private static readonly Family EmptyV6 = new(0, [], [], [0], [], [], [], [], [], [], new int[256], 0, null, isV6: true);

    private CompiledPolicy(Client[] clients, Dictionary<NetAddress, Owners> owners, HostNameTable hostNames, NetAddress[] resolvers)
    {
        _clients = clients;
        // A swap or an expiry finds every client of one policy in another: by name, not by a walk (tens of thousands of clients).
        _byName = new Dictionary<string, int>(clients.Length, StringComparer.Ordinal);
        for (var c = clients.Length - 1; c >= 0; c--)
        {
            _byName[clients[c].Name] = c;
        }
        _owners = owners;
        _hostNames = hostNames;
        _resolvers = resolvers;
    }

    public int ClientCount => _clients.Length;

    /// <summary>Every dsthost name the rules use, each once, in order of first use. Ids for <see cref="HostTable"/>.</summary>
    public IReadOnlyList<string> HostNames => _hostNames;

    /// <summary>The same names as <see cref="HostNames"/>, typed for building a <see cref="HostTable"/>.</summary>
    public HostNameTable HostNameTable => _hostNames;

    /// <summary>The configured DNS resolvers (specialtarget=dns), as compiled.</summary>
    public IReadOnlyList<NetAddress> DnsResolvers => _resolvers;

    public string ClientName(int client) => _clients[client].Name;

    public int RuleCount(int client) => _clients[client].RuleIds.Length;

    public string RuleId(int client, int ruleIndex) => _clients[client].RuleIds[ruleIndex];

    /// <summary>How many rules, of every client, use specialtarget=dns: they match nothing without resolvers.</summary>
    public int DnsTargetRules()
    {
        var count = 0;
        foreach (var client in _clients)
        {
            foreach (ref readonly var rule in client.Linear.AsSpan())
            {
                count += rule.Dns ? 1 : 0;
            }
        }
        return count;
    }

    /// <summary>The earliest <c>expire</c> of any client's rule after <paramref name="nowUnix"/>, or long.MaxValue when none is still to come.</summary>
    public long NextExpiry(long nowUnix)
    {
        var next = long.MaxValue;
        foreach (var client in _clients)
        {
            foreach (ref readonly var rule in client.Linear.AsSpan())
            {
                if (rule.Expire > nowUnix && rule.Expire < next)
                {
                    next = rule.Expire;
                }
            }
        }
        return next;
    }

    public IReadOnlyList<NetAddress> ClientAddresses(int client) => _clients[client].Addresses;

    /// <summary>Whether <paramref name="client"/> has the same rules, in the same order, as <paramref name="otherClient"/> of <paramref name="other"/>.</summary>
    public bool SameRules(int client, CompiledPolicy other, int otherClient)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = _clients[client];
        var theirs = other._clients[otherClient];
        return mine.RuleIds.AsSpan().SequenceEqual(theirs.RuleIds) && mine.Rules.AsSpan().SequenceEqual(theirs.Rules);
    }

    /// <summary>Whether a rule of <paramref name="client"/> expires at a second in [<paramref name="fromUnix"/>, <paramref name="toUnix"/>].</summary>
    public bool HasExpiryBetween(int client, long fromUnix, long toUnix)
    {
        foreach (ref readonly var rule in _clients[client].Linear.AsSpan())
        {
            if (rule.Expire >= fromUnix && rule.Expire <= toUnix)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The index of the client named <paramref name="name"/>, or -1.</summary>
    public int ClientIndex(string name) => _byName.TryGetValue(name, out var index) ? index : -1;

    /// <summary>The client that owns exactly this address (the first in policy order if several do), or -1.</summary>
    public int FindClient(NetAddress source) => _owners.TryGetValue(source, out var owners) ? owners.First : -1;

    /// <summary>A host table whose ids are this policy's (the fast path of <see cref="Classify"/>).</summary>
    public HostTable CreateHostTable() => new(_hostNames);

    public static CompiledPolicy Compile(SnapshotContent content, IReadOnlyList<NetAddress> dnsResolvers)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Compile(SnapshotCodec.ToModel(content), dnsResolvers);
    }

    public static CompiledPolicy Compile(PolicyModel model, IReadOnlyList<NetAddress> dnsResolvers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dnsResolvers);
        var resolvers = dnsResolvers.Distinct().ToArray();
        var hostNames = new HostNameTable(model.Clients.SelectMany(c => c.Rules).Select(r => r.Rule.Host).OfType<string>());

        var owners = new Dictionary<NetAddress, Owners>();
        for (var c = 0; c < model.Clients.Count; c++)
        {
            foreach (var address in model.Clients[c].Addresses)
            {
                var key = NetAddress.From(address);
                if (!owners.TryGetValue(key, out var o))
                {
                    owners[key] = new Owners(c, -1);
                }
                else if (o.First != c && o.Second < 0)
                {
                    owners[key] = o with { Second = c };
                }
            }
        }

        var clients = new Client[model.Clients.Count];
        var icmpMaps = new Dictionary<int[], int[]>(IcmpMapComparer.Instance);
        for (var c = 0; c < clients.Length; c++)
        {
            clients[c] = CompileClient(model.Clients[c], hostNames, resolvers, icmpMaps);
        }
        return new CompiledPolicy(clients, owners, hostNames, resolvers);
    }

    /// <summary>
    /// Decides the first packet of a new flow from <paramref name="client"/>. No allocation, no lock,
    /// no exception for any packet; <paramref name="hosts"/> may be read while a resolver writes it.
    /// </summary>
    public Verdict Classify(int client, in PacketInfo packet, long nowUnix, HostTable hosts)
    {
        var c = _clients[client];

        // Section 4: an unresolved dsthost drop/reject rule (not expired) blocks the whole client, in the
        // family the name is unresolved in (the Qubes agent resolves each family on its own). Asked only
        // while some name of the family has no answer: a block list of thousands of names is otherwise
        // walked by every new flow.
        var sameNames = ReferenceEquals(hosts.Names, _hostNames);
        if (c.Blockers.Length > 0 && (!sameNames || hosts.AnyUnresolved(packet.Destination.IsV6)))
        {
            foreach (ref readonly var blocker in c.Blockers.AsSpan())
            {
                if (blocker.Expire > nowUnix && Answer(hosts, blocker.HostId, packet.Destination.IsV6) is null)
                {
                    return new Verdict(RuleAction.Drop, blocker.RuleIndex, DropReason.DsthostUnresolved);
                }
            }
        }

        var destination = packet.Destination;
        var family = destination.IsV6 ? c.V6 : c.V4;
        var isolated = -1; // unknown until needed: is the destination another client's address?
        if (family.Words > 0)
        {
            var pool = family.Pool;
            var addressRow = family.AddressRow(destination);
            var l4Row = family.L4Row(packet.Protocol, packet.DestinationPort, packet.IcmpType);
            var a = new ReadOnlySpan<ulong>(pool, addressRow, family.Words);
            var b = new ReadOnlySpan<ulong>(pool, l4Row, family.Words);
            var rules = family.Rules;
            // dsthost rules are in no address row: the names whose answers hold the destination give the
            // first of them that decides, and the rows only need searching before it.
            var byName = family.HostRules is null ? int.MaxValue : FirstByName(client, family, destination, b, nowUnix, hosts, sameNames, ref isolated);
            for (var w = 0; w < a.Length && (w << 6) <= byName; w++)
            {
                var candidates = a[w] & b[w];
                if (w == byName >> 6)
                {
                    candidates &= (1UL << (byName & 63)) - 1;
                }
                while (candidates != 0)
                {
                    ref readonly var rule = ref rules[(w << 6) | BitOperations.TrailingZeroCount(candidates)];
                    candidates &= candidates - 1;
                    if (rule.Expire <= nowUnix)
                    {
                        continue;
                    }
                    if (rule.HostId >= 0 && !Contains(Answer(hosts, rule.HostId, destination.IsV6), destination))
                    {
                        continue; // a dsthost rule with specialtarget=dns, in the rows of the resolvers
                    }
                    if (rule.Action == RuleAction.Accept && !rule.ExplicitNetwork)
                    {
                        if (isolated < 0)
                        {
                            isolated = OwnedByOther(client, destination) ? 1 : 0;
                        }
                        if (isolated == 1)
                        {
                            continue; // a catch-all accept never opens another client
                        }
                    }
                    return Decided(rule.Action, rule.RuleIndex);
                }
            }
            if (byName != int.MaxValue)
            {
                return Decided(rules[byName].Action, rules[byName].RuleIndex);
            }
        }
        if (isolated < 0)
        {
            isolated = OwnedByOther(client, destination) ? 1 : 0;
        }
        return new Verdict(RuleAction.Drop, -1, isolated == 1 ? DropReason.ClientIsolated : DropReason.NoRuleMatched);
    }

    /// <summary>
    /// The same decision by plain linear first match over compiled rule structs: the baseline the
    /// benchmarks compare <see cref="Classify"/> with, and a second oracle for the tests.
    /// </summary>
    public Verdict ClassifyLinear(int client, in PacketInfo packet, long nowUnix, HostTable hosts)
    {
        var c = _clients[client];
        foreach (ref readonly var blocker in c.Blockers.AsSpan())
        {
            if (blocker.Expire > nowUnix && Answer(hosts, blocker.HostId, packet.Destination.IsV6) is null)
            {
                return new Verdict(RuleAction.Drop, blocker.RuleIndex, DropReason.DsthostUnresolved);
            }
        }
        var destination = packet.Destination;
        var isV6 = destination.IsV6;
        var protocolClass = ClassOf(packet.Protocol, isV6);
        var isolated = OwnedByOther(client, destination);
        foreach (ref readonly var rule in c.Linear.AsSpan())
        {
            if (rule.Expire <= nowUnix)
            {
                continue;
            }
            if (rule.Family != 0 && rule.Family != (isV6 ? 6 : 4))
            {
                continue;
            }
            if (rule.ExplicitNetwork && (destination.Bits < rule.NetworkLow || destination.Bits > rule.NetworkHigh))
            {
                continue;
            }
            if ((rule.Classes & (1 << protocolClass)) == 0)
            {
                continue;
            }
            if (protocolClass is ClassTcp or ClassUdp && (packet.DestinationPort < rule.PortLow || packet.DestinationPort > rule.PortHigh))
            {
                continue;
            }
            if (protocolClass == ClassIcmp && (packet.IcmpType < rule.IcmpLow || packet.IcmpType > rule.IcmpHigh))
            {
                continue;
            }
            if (rule.Dns && !Contains(_resolvers, destination))
            {
                continue;
            }
            if (rule.HostId >= 0 && !Contains(Answer(hosts, rule.HostId, destination.IsV6), destination))
            {
                continue;
            }
            if (isolated && rule.Action == RuleAction.Accept && !rule.ExplicitNetwork)
            {
                continue;
            }
            return Decided(rule.Action, rule.RuleIndex);
        }
        return new Verdict(RuleAction.Drop, -1, isolated ? DropReason.ClientIsolated : DropReason.NoRuleMatched);
    }

    /// <summary>
    /// The first dsthost rule of the family (its bit) that decides a flow to <paramref name="destination"/>: one of a
    /// name whose answer holds it, admitting the flow's protocol and port (<paramref name="l4"/>), not expired, and not an
    /// accept towards another client; int.MaxValue when none does.
    /// </summary>
    private int FirstByName(int client, Family family, NetAddress destination, ReadOnlySpan<ulong> l4, long nowUnix, HostTable hosts, bool sameNames,
        ref int isolated)
    {
        var first = int.MaxValue;
        var rules = family.Rules;
        foreach (var holder in hosts.HoldersOf(destination))
        {
            var id = sameNames ? holder : _hostNames.IdOf(hosts.Names[holder]);
            if (id < 0 || !family.HostRules!.TryGetValue(id, out var bits))
            {
                continue;
            }
            foreach (var bit in bits)
            {
                if (bit >= first)
                {
                    break;
                }
                ref readonly var rule = ref rules[bit];
                if ((l4[bit >> 6] & (1UL << bit)) == 0 || rule.Expire <= nowUnix)
                {
                    continue;
                }
                if (rule.Action == RuleAction.Accept)
                {
                    if (isolated < 0)
                    {
                        isolated = OwnedByOther(client, destination) ? 1 : 0;
                    }
                    if (isolated == 1)
                    {
                        continue; // a dsthost accept never opens another client
                    }
                }
                first = bit;
                break;
            }
        }
        return first;
    }

    private static Verdict Decided(RuleAction action, int ruleIndex) => new(action, ruleIndex, action switch
    {
        RuleAction.Accept => DropReason.None,
        RuleAction.Drop => DropReason.RuleDrop,
        _ => DropReason.RuleReject,
    });

    /// <summary>The protocol dimension: ICMP means ICMP of the packet's family (1 on IPv4, 58 on IPv6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ClassOf(byte protocol, bool isV6) => protocol switch
    {
        6 => ClassTcp,
        17 => ClassUdp,
        1 when !isV6 => ClassIcmp,
        58 when isV6 => ClassIcmp,
        _ => ClassOther,
    };

    private bool OwnedByOther(int client, NetAddress address) =>
        _owners.TryGetValue(address, out var o) && (o.First != client || o.Second >= 0);

    /// <summary>
    /// The answer for this policy's host id in one family. When <paramref name="hosts"/> was built over this
    /// policy's name table the id is used as is; otherwise the name is looked up (no allocation).
    /// </summary>
    private NetAddress[]? Answer(HostTable hosts, int hostId, bool v6)
    {
        if (ReferenceEquals(hosts.Names, _hostNames))
        {
            return hosts.Slot(hostId, v6);
        }
        var id = hosts.Names.IdOf(_hostNames[hostId]);
        return id < 0 ? null : hosts.Slot(id, v6);
    }

    private static bool Contains(NetAddress[]? addresses, NetAddress address)
    {
        if (addresses is null)
        {
            return false;
        }
        foreach (var candidate in addresses)
        {
            if (candidate.Bits == address.Bits && candidate.IsV6 == address.IsV6)
            {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- compile

    private static Client CompileClient(ModelClient model, HostNameTable hostNames, NetAddress[] resolvers, Dictionary<int[], int[]> icmpMaps)
    {
        var rules = model.Rules;
        var blockers = new List<Blocker>();
        var linear = new LinearRule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i].Rule;
            var expire = rule.Expire ?? long.MaxValue;
            var hostId = rule.Host is { } host ? hostNames.IdOf(host) : -1;
            if (hostId >= 0 && rule.Action != RuleAction.Accept)
            {
                blockers.Add(new Blocker(i, hostId, expire));
            }
            var (low, high) = rule.Network is { } network ? Range(network) : (UInt128.Zero, UInt128.MaxValue);
            var ports = PortsFor(rule);
            linear[i] = new LinearRule
            {
                RuleIndex = i,
                Expire = expire,
                HostId = hostId,
                Action = rule.Action,
                ExplicitNetwork = rule.Network is not null,
                Family = rule.Network is { } n ? (n.IsIPv4 ? 4 : 6) : 0,
                NetworkLow = low,
                NetworkHigh = high,
                Classes = ClassesFor(rule, ports),
                PortLow = ports.Low,
                PortHigh = ports.High,
                IcmpLow = rule.IcmpType ?? 0,
                IcmpHigh = rule.IcmpType ?? 255,
                Dns = rule.DnsTarget,
            };
        }
        return new Client(
            model.Name,
            model.Addresses.Select(NetAddress.From).ToArray(),
            rules.Select(r => r.Id).ToArray(),
            rules.Select(r => r.Rule).ToArray(),
            blockers.ToArray(),
            linear,
            CompileFamily(rules, linear, v6: false, resolvers, icmpMaps),
            CompileFamily(rules, linear, v6: true, resolvers, icmpMaps));
    }

    /// <summary>The destination ports a rule admits for TCP/UDP; specialtarget=dns narrows them to 53. Low > High: none.</summary>
    private static (int Low, int High) PortsFor(Rule rule)
    {
        var (low, high) = rule.Ports is { } p ? (p.Low, p.High) : (0, 65535);
        if (rule.DnsTarget)
        {
            (low, high) = (Math.Max(low, 53), Math.Min(high, 53));
        }
        return (low, high);
    }

    /// <summary>Protocol classes (bit per class) the rule can match; specialtarget=dns means TCP or UDP only.</summary>
    private static int ClassesFor(Rule rule, (int Low, int High) ports)
    {
        var classes = rule.Protocol switch
        {
            RuleProtocol.Tcp => 1 << ClassTcp,
            RuleProtocol.Udp => 1 << ClassUdp,
            RuleProtocol.Icmp => 1 << ClassIcmp,
            _ => 0b1111,
        };
        if (rule.DnsTarget)
        {
            classes &= (1 << ClassTcp) | (1 << ClassUdp);
        }
        if (ports.Low > ports.High)
        {
            classes &= ~((1 << ClassTcp) | (1 << ClassUdp));
        }
        return classes;
    }

    private static (UInt128 Low, UInt128 High) Range(Cidr network)
    {
        var bits = NetAddress.From(network.Address).Bits;
        var hostBits = (network.IsIPv4 ? 32 : 128) - network.PrefixLength;
        var hostMask = hostBits >= 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        var low = bits & ~hostMask;
        return (low, low | hostMask);
    }

    /// <param name="icmpMaps">The ICMP type maps made so far: clients whose rules lay out alike share one (each is 1 KiB, most of an idle client's tables).</param>
    private static Family CompileFamily(IReadOnlyList<ModelRule> rules, LinearRule[] linear, bool v6, NetAddress[] resolvers, Dictionary<int[], int[]> icmpMaps)
    {
        var max = v6 ? UInt128.MaxValue : V4Max;
        var familyResolvers = resolvers.Where(r => r.IsV6 == v6).ToArray();

        // The family's candidate rules, in rule order: bit k is candidates[k].
        var candidates = new List<Candidate>();
        var addressRanges = new List<(UInt128 Low, UInt128 High)[]>();
        Dictionary<int, List<int>>? hostRules = null;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i].Rule;
            var compiled = linear[i];
            if (compiled.Family != 0 && compiled.Family != (v6 ? 6 : 4))
            {
                continue; // dst4 never matches IPv6, dst6 never IPv4
            }
            if (compiled.Classes == 0)
            {
                continue; // can never match (e.g. specialtarget=dns with ports that exclude 53)
            }
            (UInt128, UInt128)[] ranges;
            if (rule.DnsTarget)
            {
                // The resolvers of this family that the rule's network (if any) also covers.
                ranges = familyResolvers
                    .Where(r => !compiled.ExplicitNetwork || (r.Bits >= compiled.NetworkLow && r.Bits <= compiled.NetworkHigh))
                    .Select(r => (r.Bits, r.Bits))
                    .ToArray();
                if (ranges.Length == 0)
                {
                    continue;
                }
            }
            else if (compiled.HostId >= 0)
            {
                // In no address row: found by the destination among the names' answers (FirstByName). One
                // with specialtarget=dns is in the resolvers' rows above, its answer checked there.
                ranges = [];
                hostRules ??= [];
                if (!hostRules.TryGetValue(compiled.HostId, out var bits))
                {
                    hostRules[compiled.HostId] = bits = [];
                }
                bits.Add(candidates.Count);
            }
            else
            {
                ranges = compiled.ExplicitNetwork ? [(compiled.NetworkLow, compiled.NetworkHigh)] : [(UInt128.Zero, max)];
            }
            candidates.Add(new Candidate(i, compiled.Expire, compiled.HostId, compiled.Action, compiled.ExplicitNetwork));
            addressRanges.Add(ranges);
        }

        var count = candidates.Count;
        var words = (count + 63) / 64;
        var pool = new RowPool(words);
        if (count == 0)
        {
            return v6 ? EmptyV6 : EmptyV4;
        }

        var addresses = new IntervalBuilder(max);
        var tcp = new IntervalBuilder(65535);
        var udp = new IntervalBuilder(65535);
        var icmp = new IntervalBuilder(255);
        var other = new ulong[words];
        for (var bit = 0; bit < count; bit++)
        {
            var compiled = linear[candidates[bit].RuleIndex];
            foreach (var (low, high) in addressRanges[bit])
            {
                addresses.Add(bit, low, high);
            }
            if ((compiled.Classes & (1 << ClassTcp)) != 0)
            {
                tcp.Add(bit, (UInt128)compiled.PortLow, (UInt128)compiled.PortHigh);
            }
            if ((compiled.Classes & (1 << ClassUdp)) != 0)
            {
                udp.Add(bit, (UInt128)compiled.PortLow, (UInt128)compiled.PortHigh);
            }
            if ((compiled.Classes & (1 << ClassIcmp)) != 0)
            {
                icmp.Add(bit, (UInt128)compiled.IcmpLow, (UInt128)compiled.IcmpHigh);
            }
            if ((compiled.Classes & (1 << ClassOther)) != 0)
            {
                other[bit >> 6] |= 1UL << bit;
            }
        }

        var (addressStarts, addressRows) = addresses.Build(pool, count);
        var (tcpStarts, tcpRows) = tcp.Build(pool, count);
        var (udpStarts, udpRows) = udp.Build(pool, count);
        var (icmpStarts, icmpRows) = icmp.Build(pool, count);
        var otherRow = pool.Intern(other);

        var icmpByType = new int[256];
        for (int type = 0, k = 0; type < 256; type++)
        {
            while (k + 1 < icmpStarts.Length && icmpStarts[k + 1] <= (UInt128)type)
            {
                k++;
            }
            icmpByType[type] = icmpRows[k];
        }
        if (!icmpMaps.TryGetValue(icmpByType, out var shared))
        {
            icmpMaps[icmpByType] = shared = icmpByType;
        }

        return new Family(
            words,
            candidates.ToArray(),
            pool.ToArray(),
            v6 ? [] : addressStarts.Select(s => (uint)s).ToArray(),
            v6 ? addressStarts : [],
            addressRows,
            tcpStarts.Select(s => (int)s).ToArray(),
            tcpRows,
            udpStarts.Select(s => (int)s).ToArray(),
            udpRows,
            shared,
            otherRow,
            hostRules?.ToDictionary(h => h.Key, h => h.Value.ToArray()),
            v6);
    }

    // ---------------------------------------------------------------- compiled structures

    /// <summary>Which clients own an address: the first in policy order and another one (-1 when none).</summary>
    private readonly record struct Owners(int First, int Second);

    /// <summary>An unexpired dsthost drop/reject rule whose name is unresolved blocks the client.</summary>
    private readonly record struct Blocker(int RuleIndex, int HostId, long Expire);

    /// <summary>What is checked one by one for a candidate the bit vectors let through.</summary>
    private readonly record struct Candidate(int RuleIndex, long Expire, int HostId, RuleAction Action, bool ExplicitNetwork);

    [StructLayout(LayoutKind.Auto)]
    private struct LinearRule
    {
        public int RuleIndex;
        public long Expire;
        public int HostId;
        public RuleAction Action;
        public bool ExplicitNetwork;
        public int Family;
        public UInt128 NetworkLow;
        public UInt128 NetworkHigh;
        public int Classes;
        public int PortLow;
        public int PortHigh;
        public int IcmpLow;
        public int IcmpHigh;
        public bool Dns;
    }

    private sealed record Client(
        string Name,
        NetAddress[] Addresses,
        string[] RuleIds,
        Rule[] Rules,
        Blocker[] Blockers,
        LinearRule[] Linear,
        Family V4,
        Family V6);

    /// <summary>
    /// One client's rules for one address family. Rows are offsets into <see cref="Pool"/>; each row
    /// has <see cref="Words"/> words, bit k standing for <see cref="Rules"/>[k].
    /// </summary>
    private sealed class Family(
        int words,
        Candidate[] rules,
        ulong[] pool,
        uint[] v4Starts,
        UInt128[] v6Starts,
        int[] addressRows,
        int[] tcpStarts,
        int[] tcpRows,
        int[] udpStarts,
        int[] udpRows,
        int[] icmpRows,
        int otherRow,
        Dictionary<int, int[]>? hostRules,
        bool isV6)
    {
        public readonly int Words = words;
        public readonly Candidate[] Rules = rules;
        public readonly ulong[] Pool = pool;

        /// <summary>Per dsthost name id, the bits of the family's rules naming it, ascending; null when none does.</summary>
        public readonly Dictionary<int, int[]>? HostRules = hostRules;

        /// <summary>The row of rules whose destination set (network, resolvers, or anything) holds the address.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int AddressRow(NetAddress destination) =>
            isV6 ? addressRows[Locate(v6Starts, destination.Bits)] : addressRows[Locate(v4Starts, destination.V4Bits)];

        /// <summary>The row of rules admitting the protocol and, for TCP/UDP its destination port, for ICMP its type.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int L4Row(byte protocol, ushort port, byte icmpType) => ClassOf(protocol, isV6) switch
        {
            ClassTcp => tcpRows[Locate(tcpStarts, port)],
            ClassUdp => udpRows[Locate(udpStarts, port)],
            ClassIcmp => icmpRows[icmpType],
            _ => otherRow,
        };

        /// <summary>The last index whose start is at or below the key (starts[0] is 0).</summary>
        private static int Locate<T>(T[] starts, T key) where T : IComparisonOperators<T, T, bool>
        {
            int low = 0, high = starts.Length - 1;
            while (low < high)
            {
                var middle = (low + high + 1) >>> 1;
                if (starts[middle] <= key)
                {
                    low = middle;
                }
                else
                {
                    high = middle - 1;
                }
            }
            return low;
        }

        private static int Locate(int[] starts, ushort key) => Locate(starts, (int)key);
    }
}
