using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lethe.Domain.Evaluation;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;

namespace Lethe.Firewall.Nft;

/// <summary>
/// Renders a verified snapshot as one nftables script (`nft -f`) that gives new flows the verdicts
/// <see cref="ReferenceEvaluator"/> gives them, lets the kernel's conntrack carry every other packet,
/// and masquerades clients on the uplink. `lethe-firewall nft` prints it; the throughput harness runs
/// the kernel's own forwarding with it as its baseline.
/// <para>
/// Shape: <c>table inet lethe {}</c> + <c>delete table inet lethe</c> + the table, so <c>nft -f</c>
/// replaces an earlier copy in one transaction. Chain <c>forward</c> (policy drop) makes Lethe's origin
/// checks (a client interface only carries that client's own sources; the uplink never carries a
/// client's), accepts tracked flows (<c>ct state established,related</c>), and sends the first packet
/// of a new flow to its client's chain <c>client_NAME</c>: by interface when one is given, else by
/// source address (as `replay` recognises clients). A client chain holds the client's rules in order
/// (first match wins) and ends with the default drop. Chain <c>postrouting</c> masquerades (or snats to
/// --uplink-address) what leaves by the uplink. Every rule from the snapshot carries
/// <c>comment "RULE-ID"</c> and a counter, so <c>nft list ruleset</c> leads back to Lethe's rules.
/// </para>
/// <para>
/// Rule mapping: dst4 → <c>ip daddr</c>, dst6 → <c>ip6 daddr</c> (host bits cleared; a rule of one family
/// is never rendered in the other); tcp/udp → <c>tcp dport A-B</c> or <c>meta l4proto tcp</c>; icmp →
/// <c>meta l4proto icmp</c> (IPv4) and <c>meta l4proto ipv6-icmp</c> (IPv6), each with <c>icmp type N</c> /
/// <c>icmpv6 type N</c>, so one icmp rule without a destination becomes one nft rule per family;
/// specialtarget=dns → <c>daddr {resolvers}</c> and <c>dport 53</c>, tcp then udp when the rule names no
/// proto; dsthost → its --resolve answers; accept → <c>accept</c>; drop → <c>reject with icmpx
/// admin-prohibited</c> (the Qubes Linux agent's answer) or <c>drop</c> with --silent-drop; reject →
/// <c>reject with tcp reset</c> for TCP, admin-prohibited for anything else. A rule that names no address
/// and no ICMP is rendered once for both families; otherwise once per family it can match.
/// </para>
/// <para>
/// Inter-client isolation (a deciding accept without dst4/dst6 never opens another client) is rendered
/// on the accept rules themselves, not as a sub-chain: an accept with no destination gets
/// <c>ip daddr != @clients4</c> / <c>ip6 daddr != @clients6</c>, named sets of every client's addresses
/// written once (listing the other clients in each such accept made the ruleset grow with the square of
/// the clients), followed by the same rule for the client's own addresses that no other client lists
/// (<c>ip daddr 10.137.0.5</c>), which are no other client's; an accept whose addresses come
/// from dsthost answers or resolvers simply leaves other clients' addresses out of its set. The
/// reference evaluator skips such a rule for such a destination and goes on with the next, which is
/// exactly what a non-matching condition does; drop, reject and dst4/dst6 accepts are untouched. This
/// keeps the nft rules of a Lethe rule (per family, and for its own addresses) together in Lethe's
/// order, with that rule's comment, where a <c>client_NAME_to_clients</c> sub-chain would repeat every
/// drop/reject and explicit-network rule in a second copy.
/// </para>
/// <para>
/// Where the kernel with this ruleset and Lethe differ (the header of the output says so too):
/// <list type="bullet">
/// <item>Fragments: Lethe does not reassemble. It judges a datagram's first fragment and passes the later
/// ones after it, in order, holding for up to 2 s a later one that comes before its turn; it drops TCP fragments.
/// The kernel's conntrack reassembles them, in any order, and judges the whole packet.</item>
/// <item>expire: a rule expiring later matches only while <c>meta time</c> (the kernel's clock, Linux 5.4 and
/// later) is before its expire, and with no time match when the expire is past what that clock holds (2554,
/// <see cref="LastMetaTimeExpire"/>); rules already expired at render time are left out. A flow such a rule
/// opened goes on under conntrack after it expires, where Lethe cuts it.</item>
/// <item>dsthost: resolved once, at render time, from --resolve; Lethe keeps re-resolving while it runs.
/// A name without an answer is unresolved for good: its accept rules are left out and a drop/reject
/// naming it blocks the whole client (a drop-everything rule at the top of its chain), as Lethe does
/// while the name does not resolve.</item>
/// <item>Policy changes: `nft -f` replaces the rules but keeps conntrack entries; Lethe re-checks the
/// tracked flows of every client whose rules changed and cuts those the new snapshot no longer allows.</item>
/// <item>Connection tracking itself is the kernel's (timeouts, TCP window checks, table size), NAT port
/// choice too; ICMP answers are rate-limited by the kernel's icmp ratelimit, not Lethe's limiter.</item>
/// <item>Packets addressed to the firewall host never cross the forward hook: the input chain refuses a
/// client's as Lethe does, but lets neighbour discovery and answers to the host's own connections (from
/// the client's own addresses) through, and leaves what the uplink sends the host to the host.</item>
/// <item>Without --uplink-interface the uplink cannot be told apart: no uplink anti-spoofing, and NAT
/// applies to client traffic whose destination is not a client. Without --client-interface a client is
/// recognised by its source address alone, so its source cannot be checked (as in `replay`).</item>
/// </list>
/// </para>
/// </summary>
public static class NftRenderer
{
    public const string TableName = "lethe";
    public const string AdminProhibited = "reject with icmpx admin-prohibited";
    public const string TcpReset = "reject with tcp reset";

    /// <summary>The longest comment nft stores on a rule.</summary>
    private const int MaxComment = 127;

    /// <summary>
    /// The last expire <c>meta time &lt; E</c> can say: nft writes E as E × 10^9 ns in the clock's 64 bits,
    /// which from 18446744074 (2554-07-21) on wraps to a time long past, so a drop rule would never match.
    /// </summary>
    private const long LastMetaTimeExpire = (long)(ulong.MaxValue / 1_000_000_000);

    public static string Render(SnapshotContent content, NftOptions options)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        return new Script(SnapshotCodec.ToModel(content), options).Write();
    }

    /// <summary>The chain each client's rules go to, in policy order: client_NAME, made unique and nft-safe.</summary>
    public static IReadOnlyList<string> ChainNames(SnapshotContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        return ChainNames(content.Clients.Select(c => c.Name).ToArray());
    }

    private static string[] ChainNames(IReadOnlyList<string> clientNames)
    {
        var names = new string[clientNames.Count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var safe = new StringBuilder("client_");
            foreach (var c in clientNames[i])
            {
                safe.Append(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-' ? c : '_');
            }
            var name = safe.ToString();
            for (var n = 2; !used.Add(name); n++)
            {
                name = safe + "_" + n.ToString(CultureInfo.InvariantCulture);
            }
            names[i] = name;
        }
        return names;
    }

    /// <summary>What <see cref="IsInterfaceName"/> takes, for the messages that refuse a name.</summary>
    public const string InterfaceNameShape = "1 to 15 characters, no quote, backslash, slash, colon, space or *; not ., .., all or default";

    /// <summary>
    /// A Linux interface name nft can quote: 1 to 15 printable characters, no quote, backslash, slash,
    /// colon or space, and no <c>*</c>, which nft reads as a wildcard (one name would then match others' devices).
    /// </summary>
    /// <remarks>
    /// Nor '.' and '..' (which Linux refuses as names), nor 'all' and 'default' (its sysctl trees, net.ipv4.conf.all: the
    /// kernel refuses to create them, and boot refuses them for a TUN device): a ruleset naming one would load and never match.
    /// </remarks>
    public static bool IsInterfaceName(string name) =>
        name.Length is >= 1 and <= 15 && name is not ("." or ".." or "all" or "default")
        && name.All(c => c is > ' ' and < (char)127 and not ('"' or '\\' or '/' or ':' or '*'));

    private enum Family
    {
        V4,
        V6,
    }

    private static readonly Family[] Families = [Family.V4, Family.V6];

    private static bool Is(IPAddress address, Family family) =>
        address.AddressFamily == (family == Family.V4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6);

    private static string Ip(Family family) => family == Family.V4 ? "ip" : "ip6";

    private static string NfProto(Family family) => family == Family.V4 ? "meta nfproto ipv4" : "meta nfproto ipv6";

    private static string Set(IReadOnlyList<string> items) => items.Count == 1 ? items[0] : "{ " + string.Join(", ", items) + " }";

    private static string Addresses(IEnumerable<IPAddress> addresses) => Set(addresses.Select(Address).ToArray());

    /// <summary>
    /// An address as nft reads it: IPv6 always in hex groups, since .NET writes some (::ffff:0:a.b.c.d,
    /// IPv4-translated) in a dotted form nft refuses, and one such address would refuse the whole ruleset.
    /// </summary>
    private static string Address(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        var groups = new int[8];
        for (var g = 0; g < 8; g++)
        {
            groups[g] = (bytes[2 * g] << 8) | bytes[(2 * g) + 1];
        }
        // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::".
        int bestStart = -1, bestLength = 1;
        for (var g = 0; g < 8;)
        {
            var end = g;
            while (end < 8 && groups[end] == 0)
            {
                end++;
            }
            if (end - g > bestLength)
            {
                (bestStart, bestLength) = (g, end - g);
            }
            g = end == g ? g + 1 : end;
        }
        var text = new StringBuilder();
        for (var g = 0; g < 8; g++)
        {
            if (g == bestStart)
            {
                text.Append("::");
                g += bestLength - 1;
                continue;
            }
            if (text.Length > 0 && text[^1] != ':')
            {
                text.Append(':');
            }
            text.Append(groups[g].ToString("x", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private static string Interfaces(IReadOnlyList<string> names) => Set(names.Select(n => "\"" + n + "\"").ToArray());

    private static string Comment(string text)
    {
        var safe = new StringBuilder(Math.Min(text.Length, MaxComment));
        foreach (var c in text)
        {
            if (safe.Length == MaxComment)
            {
                break;
            }
            safe.Append(c is >= ' ' and < (char)127 and not ('"' or '\\') ? c : '_');
        }
        return "comment \"" + safe + "\"";
    }

    /// <summary>The network with its host bits cleared (nft refuses or rewrites them otherwise).</summary>
    private static string Prefix(Cidr network)
    {
        var bytes = network.Address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = network.PrefixLength - (i * 8);
            if (keep < 8)
            {
                bytes[i] &= keep <= 0 ? (byte)0 : (byte)(0xFF << (8 - keep));
            }
        }
        var address = Address(new IPAddress(bytes));
        return network.PrefixLength == bytes.Length * 8 ? address : address + "/" + network.PrefixLength.ToString(CultureInfo.InvariantCulture);
    }

    private static string Time(long unix) =>
        unix is >= 0 and <= 253_402_300_799
            ? DateTimeOffset.FromUnixTimeSeconds(unix).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "UNIX " + unix.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The destination a rule can match in one family: an address set; any address; or, <paramref name="Isolated"/>, any
    /// address no other client lists: one outside every client's (the set <see cref="ClientSet"/>), or one of
    /// <paramref name="Own"/>, the client's own that no other client lists.
    /// </summary>
    private sealed record Destination(IReadOnlyList<string>? Include, bool Isolated = false, IReadOnlyList<IPAddress>? Own = null)
    {
        public bool Any => Include is null && !Isolated;
    }

    /// <summary>The named set of every client's addresses of a family, written once for the accepts that isolation applies to.</summary>
    private static string ClientSet(Family family) => family == Family.V4 ? "clients4" : "clients6";

    private sealed class Script
    {
        private readonly PolicyModel _model;
        private readonly NftOptions _options;
        private readonly string[] _chains;
        private readonly IReadOnlyList<string>[] _interfaces;

        /// <summary>Per client, the addresses it owns: the first client in policy order that lists an address owns it (as Lethe's lookup does).</summary>
        private readonly List<IPAddress>[] _owned;

        /// <summary>Per family, each address a client lists and that client's index, or <see cref="Several"/> when more than one client lists it.</summary>
        private readonly Dictionary<IPAddress, int>[] _listedBy = [new(), new()];

        /// <summary>Per family, how many clients list an address of it.</summary>
        private readonly int[] _clientsListing = new int[2];

        /// <summary>Per family, whether a rule names <see cref="ClientSet"/>, so that the set is written.</summary>
        private readonly bool[] _clientSetUsed = new bool[2];

        private const int Several = -1;

        private readonly StringBuilder _text = new();

        public Script(PolicyModel model, NftOptions options)
        {
            _model = model;
            _options = options;
            _chains = ChainNames(model.Clients.Select(c => c.Name).ToArray());
            _interfaces = new IReadOnlyList<string>[model.Clients.Count];
            _owned = new List<IPAddress>[model.Clients.Count];
            var owners = new Dictionary<IPAddress, int>();
            for (var c = 0; c < model.Clients.Count; c++)
            {
                _owned[c] = [];
                var families = new bool[2];
                foreach (var address in model.Clients[c].Addresses)
                {
                    if (owners.TryAdd(address, c))
                    {
                        _owned[c].Add(address);
                    }
                    var family = Is(address, Family.V4) ? Family.V4 : Family.V6;
                    families[(int)family] = true;
                    var listed = _listedBy[(int)family];
                    if (!listed.TryAdd(address, c) && listed[address] != c)
                    {
                        listed[address] = Several;
                    }
                }
                for (var f = 0; f < families.Length; f++)
                {
                    _clientsListing[f] += families[f] ? 1 : 0;
                }
            }
            Validate();
        }

        private void Validate()
        {
            if (_options.UplinkInterface is { } uplink && !IsInterfaceName(uplink))
            {
                throw new FlagException($"--uplink-interface: '{uplink}' is not an interface name ({InterfaceNameShape})");
            }
            if (_options.UplinkV4 is { } v4 && !Is(v4, Family.V4))
            {
                throw new FlagException($"the IPv4 uplink address {v4} is not IPv4");
            }
            if (_options.UplinkV6 is { } v6 && !Is(v6, Family.V6))
            {
                throw new FlagException($"the IPv6 uplink address {v6} is not IPv6");
            }
            var taken = new Dictionary<string, string>(StringComparer.Ordinal);
            if (_options.UplinkInterface is { } up)
            {
                taken[up] = "the uplink";
            }
            foreach (var (client, names) in _options.ClientInterfaces)
            {
                if (_model.FindClient(client) is null)
                {
                    throw new FlagException($"--client-interface: the snapshot has no client named {client} (clients: {string.Join(", ", _model.Clients.Select(c => c.Name))})");
                }
                foreach (var name in names)
                {
                    if (!IsInterfaceName(name))
                    {
                        throw new FlagException($"--client-interface {client}: '{name}' is not an interface name ({InterfaceNameShape})");
                    }
                    if (taken.TryGetValue(name, out var holder) && holder != client)
                    {
                        throw new FlagException($"--client-interface {client}: interface {name} already belongs to {holder}; one interface carries one client");
                    }
                    taken[name] = client;
                }
            }
            var hostNames = _model.Clients.SelectMany(c => c.Rules).Select(r => r.Rule.Host).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var name in _options.ResolvedHosts.Keys)
            {
                if (!hostNames.Contains(name))
                {
                    throw new FlagException($"--resolve: no rule of this snapshot names dsthost {name}");
                }
            }
            for (var c = 0; c < _model.Clients.Count; c++)
            {
                _interfaces[c] = _options.ClientInterfaces.TryGetValue(_model.Clients[c].Name, out var names) ? names.Distinct().ToArray() : [];
            }
        }

        private string DropVerdict => _options.SilentDrop ? "drop" : AdminProhibited;

        /// <remarks>
        /// Names and ids from the snapshot reach comment lines; a line break in one would end the comment
        /// and make the rest a command, so no control character is written.
        /// </remarks>
        private void Line(int indent, string text)
        {
            _text.Append('\t', indent);
            foreach (var c in text)
            {
                _text.Append(char.IsControl(c) ? '?' : c);
            }
            _text.Append('\n');
        }

        private void NftRule(params string?[] parts) =>
            Line(2, string.Join(' ', parts.Where(p => !string.IsNullOrEmpty(p))));

        public string Write()
        {
            Header();
            Line(0, $"table inet {TableName} {{}}");
            Line(0, $"delete table inet {TableName}");
            Line(0, "");
            Line(0, $"table inet {TableName} {{");
            var setsAt = _text.Length;
            Prerouting();
            Line(0, "");
            Input();
            Line(0, "");
            Forward();
            for (var c = 0; c < _model.Clients.Count; c++)
            {
                Line(0, "");
                Client(c);
            }
            Line(0, "");
            Postrouting();
            Line(0, "}");
            ClientSets(setsAt);
            return _text.ToString();
        }

        /// <summary>
        /// Writes, at <paramref name="at"/>, the sets of every client's addresses that the client chains name (known
        /// once they are written): one copy of each address, where listing the other clients in every accept they
        /// isolate made the ruleset grow with the square of the clients.
        /// </summary>
        private void ClientSets(int at)
        {
            var end = _text.Length;
            foreach (var family in Families)
            {
                if (!_clientSetUsed[(int)family])
                {
                    continue;
                }
                Line(1, $"# Every client's {(family == Family.V4 ? "IPv4" : "IPv6")} addresses: accepts without dst4/dst6 leave out those of other clients.");
                Line(1, $"set {ClientSet(family)} {{");
                Line(2, family == Family.V4 ? "type ipv4_addr" : "type ipv6_addr");
                Line(2, $"elements = {{ {string.Join(", ", ClientAddresses(family).Select(Address))} }}");
                Line(1, "}");
                Line(0, "");
            }
            var sets = _text.ToString(end, _text.Length - end);
            _text.Length = end;
            _text.Insert(at, sets);
        }

        private void Header()
        {
            Line(0, "#!/usr/sbin/nft -f");
            Line(0, "# Rendered by `lethe-firewall nft`" + (_options.Origin is { } origin ? $" from {origin}" : "") +
                $", as of {Time(_options.NowUnix)}.");
            Line(0, $"# `nft -f` this file: it replaces table inet {TableName} in one transaction (the empty table and the");
            Line(0, "# delete make the load work whether or not the table exists). Kernel forwarding must be on.");
            Line(0, "# Same verdicts as Lethe for new flows; conntrack carries the rest. Where they differ:");
            Line(0, "#  - fragments: Lethe judges a datagram's first fragment and passes the later ones after it, in order,");
            Line(0, "#    holding one that comes early for up to 2 s (no TCP fragments); the kernel reassembles them and");
            Line(0, "#    judges the whole packet.");
            Line(0, "#  - expire: a rule that expires later matches while `meta time` (the kernel's clock) is before its");
            Line(0, "#    expire (always, from 2554 on, which that clock does not hold); rules already expired were left");
            Line(0, "#    out. Flows it opened go on after it (Lethe cuts them).");
            Line(0, "#  - dsthost: resolved once, now, from --resolve; Lethe keeps resolving. An unresolved name stays so.");
            Line(0, "#  - a reload keeps conntrack entries: flows the new rules no longer allow are not cut (Lethe cuts them).");
            Line(0, "#  - conntrack timeouts, NAT ports and the ICMP answer rate limit are the kernel's.");
            Line(0, "#  - what conntrack calls invalid never reaches these rules: SCTP other than INIT and DCCP other than");
            Line(0, "#    REQUEST of no flow, and bad transport checksums. Lethe judges those by the rules.");
            Line(0, "#  - the firewall host itself: a client's packets to it are refused, as in Lethe, but neighbour discovery");
            Line(0, "#    passes (the kernel needs it to reach IPv6 clients), and so do answers to the host's own connections");
            Line(0, "#    from a client's own address (with --client-interface, one from any other is dropped as spoofed first),");
            Line(0, "#    but no ICMP error from a client about a connection of the host's to another;");
            Line(0, "#    what the uplink sends the host is left to it (Lethe serves nothing; this host may, sshd say).");
            Line(0, "");
        }

        /// <summary>
        /// The kernel answers a forwarded packet from a link-local source (destination unreachable, beyond
        /// scope) before the forward hook; Lethe drops it unanswered, so it is dropped before routing. Packets
        /// to the host itself are left alone here: neighbour discovery to its own addresses comes from fe80::.
        /// </summary>
        private void Prerouting()
        {
            Line(1, "chain prerouting {");
            Line(2, "type filter hook prerouting priority filter; policy accept;");
            NftRule("ip6 saddr fe80::/10 ip6 daddr != { fe80::/10, ff00::/8 } fib daddr type != local", "counter drop", Comment("never forwarded"));
            Line(1, "}");
        }

        /// <summary>
        /// A client's packets to the firewall host itself, judged as Lethe judges them: what is never
        /// forwarded and a spoofed source are dropped, the rest refused as a drop rule answers
        /// (addressed-to-firewall), whatever the rules say, so no client reaches a service of the host.
        /// </summary>
        private void Input()
        {
            Line(1, "chain input {");
            Line(2, "type filter hook input priority filter; policy accept;");
            Line(2, "# Neighbour discovery, which the kernel needs to reach IPv6 clients (Lethe's devices have no link layer).");
            NftRule("icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept");
            // Before conntrack: a client taking a remote's address could otherwise answer the host's own
            // connections in its place (a forged answer to the host's DNS query), where Lethe drops it as spoofed.
            Line(2, "# A client's packet from an address not its own, dropped silently as in Lethe, also when it looks like an answer.");
            SpoofedSources();
            Line(2, "# An ICMP error from a client about a connection of the host's it is no end of (conntrack calls it related).");
            ClientRelatedChecks();
            NftRule("ct state established,related accept", Comment("the host's own connections"));
            var fromClients = FromClients();
            if (fromClients.Count == 0)
            {
                Line(2, "# No client has an interface or an address: no packet is ever a client's.");
                Line(1, "}");
                return;
            }
            Line(2, "# From a client, as in Lethe: never forwarded (silently), else addressed to the firewall.");
            foreach (var (from, only) in fromClients)
            {
                NeverForwarded(from, only);
                NftRule(from, "fib daddr type { broadcast, multicast }", "counter drop", Comment("never forwarded"));
            }
            foreach (var (from, _) in fromClients)
            {
                NftRule(from, "counter", DropVerdict, Comment("addressed to the firewall"));
            }
            Line(1, "}");
        }

        /// <summary>A match for the packets of clients: by interface (either family), or, for clients without one, by address (one family).</summary>
        private List<(string Match, Family? Family)> FromClients()
        {
            var fromClients = new List<(string Match, Family? Family)>();
            var interfaces = _interfaces.SelectMany(i => i).Distinct().ToArray();
            if (interfaces.Length > 0)
            {
                fromClients.Add(($"iifname {Interfaces(interfaces)}", null));
            }
            foreach (var family in Families)
            {
                var own = Enumerable.Range(0, _model.Clients.Count).Where(c => _interfaces[c].Count == 0)
                    .SelectMany(c => _owned[c]).Where(a => Is(a, family)).Distinct().ToArray();
                if (own.Length > 0)
                {
                    fromClients.Add(($"{Ip(family)} saddr {Addresses(own)}", family));
                }
            }
            return fromClients;
        }

        /// <summary>
        /// What the uplink's prefix (--uplink-address A/N) makes the host's own beside its address, judged as Lethe
        /// judges it: a client's packet to the IPv4 prefix's directed broadcast dropped silently, one to the IPv6
        /// prefix's subnet-router anycast refused as addressed to the firewall. With the prefix on the uplink
        /// interface the kernel delivers both to the input chain, which does the same; these rules hold where the
        /// interface holds the address alone, so that the ruleset never forwards either.
        /// </summary>
        private void UplinkPrefixAddresses()
        {
            var broadcast = _options.UplinkV4 is { } v4 && Is(v4, Family.V4)
                ? Lethe.PacketPath.Wire.UplinkPrefix.DirectedBroadcast(Lethe.PacketPath.Wire.NetAddress.From(v4), _options.UplinkPrefixLengthV4) : null;
            var anycast = _options.UplinkV6 is { } v6 && Is(v6, Family.V6)
                ? Lethe.PacketPath.Wire.UplinkPrefix.SubnetRouterAnycast(Lethe.PacketPath.Wire.NetAddress.From(v6), _options.UplinkPrefixLengthV6) : null;
            if (broadcast is null && anycast is null)
            {
                return;
            }
            Line(2, "# What the uplink's prefix makes the host's own, as in Lethe: its IPv4 broadcast dropped, its IPv6 subnet-router anycast refused.");
            foreach (var (from, only) in FromClients())
            {
                if (broadcast is { } b && only is not Family.V6)
                {
                    NftRule(from, $"ip daddr {b}", "counter drop", Comment("directed broadcast"));
                }
                if (anycast is { } a && only is not Family.V4)
                {
                    NftRule(from, $"ip6 daddr {a}", "counter", DropVerdict, Comment("addressed to the firewall"));
                }
            }
        }

        /// <summary>
        /// As in Lethe: multicast, broadcast, loopback, unspecified, link-local and IPv4-mapped
        /// destinations, and link-local and IPv4-mapped sources, dropped silently (the kernel drops the
        /// other sources as martians, but forwards ::ffff:0:0/96 either way); for packets matching
        /// <paramref name="from"/> (all when null), in both families or the one <paramref name="only"/> names.
        /// </summary>
        private void NeverForwarded(string? from, Family? only)
        {
            var (v4, v6) = (only is not Family.V6, only is not Family.V4);
            if (v4)
            {
                NftRule(from, "ip daddr { 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 255.255.255.255 }", "counter drop", Comment("never forwarded"));
            }
            if (v6)
            {
                NftRule(from, "ip6 daddr { ::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8 }", "counter drop", Comment("never forwarded"));
            }
            if (v4)
            {
                NftRule(from, "ip saddr 169.254.0.0/16", "counter drop", Comment("never forwarded"));
            }
            if (v6)
            {
                NftRule(from, "ip6 saddr { ::ffff:0:0/96, fe80::/10 }", "counter drop", Comment("never forwarded"));
            }
        }

        /// <summary>A source not the client's own on a client's interface, dropped silently; returns whether any client has an interface.</summary>
        private bool SpoofedSources()
        {
            var any = false;
            for (var c = 0; c < _model.Clients.Count; c++)
            {
                if (_interfaces[c].Count == 0)
                {
                    continue;
                }
                any = true;
                foreach (var family in Families)
                {
                    var own = _owned[c].Where(a => Is(a, family)).ToArray();
                    NftRule($"iifname {Interfaces(_interfaces[c])}",
                        own.Length > 0 ? $"{Ip(family)} saddr != {Addresses(own)}" : NfProto(family),
                        "counter drop", Comment($"spoofed source from {_model.Clients[c].Name}"));
                }
            }
            return any;
        }

        private void Forward()
        {
            Line(1, "chain forward {");
            Line(2, "type filter hook forward priority filter; policy drop;");
            Line(2, "# Origin checks come first, as in Lethe, which makes them before it looks up a tracked flow.");
            var any = SpoofedSources();
            if (_options.UplinkInterface is { } uplink)
            {
                foreach (var family in Families)
                {
                    var clients = _owned.SelectMany(o => o).Where(a => Is(a, family)).ToArray();
                    if (clients.Length > 0)
                    {
                        NftRule($"iifname \"{uplink}\" {Ip(family)} saddr {Addresses(clients)}", "counter drop", Comment("client source on the uplink"));
                    }
                }
            }
            else
            {
                Line(2, "# No --uplink-interface: a client's source arriving from the uplink cannot be recognised here.");
            }
            if (!any)
            {
                Line(2, "# No --client-interface: clients are recognised by source address, so their sources cannot be checked.");
            }
            Line(2, "# Never forwarded, as in Lethe: multicast, broadcast, loopback, unspecified, link-local and IPv4-mapped destinations,");
            Line(2, "# link-local and IPv4-mapped sources.");
            NeverForwarded(null, null);
            UplinkPrefixAddresses();
            RelatedChecks();
            NftRule("ct state established,related accept", Comment("tracked flows"));
            for (var c = 0; c < _model.Clients.Count; c++)
            {
                var client = _model.Clients[c];
                if (_interfaces[c].Count > 0)
                {
                    NftRule($"ct state new iifname {Interfaces(_interfaces[c])} jump {_chains[c]}", Comment(client.Name));
                    continue;
                }
                var found = false;
                foreach (var family in Families)
                {
                    var own = _owned[c].Where(a => Is(a, family)).ToArray();
                    if (own.Length > 0)
                    {
                        found = true;
                        NftRule($"ct state new {Ip(family)} saddr {Addresses(own)} jump {_chains[c]}", Comment(client.Name));
                    }
                }
                if (!found)
                {
                    Line(2, $"# Client {client.Name} owns no address and has no interface: no packet is ever its.");
                }
            }
            Line(2, "# Everything else (unsolicited from the uplink, invalid state, unknown interfaces) meets the policy: drop.");
            Line(1, "}");
        }

        /// <summary>
        /// Conntrack calls an ICMP error related when it quotes any tracked flow; Lethe takes one only from
        /// an end of that flow: a client that opened it or was reached by it, or from the uplink, the remote
        /// end of a flow going out. So a client cannot forge errors into another client's flows.
        /// </summary>
        private void RelatedChecks()
        {
            Line(2, "# ICMP errors about a tracked flow only from one of its ends, as in Lethe.");
            ClientRelatedChecks();
            if (_options.UplinkInterface is { } uplink)
            {
                NftRule($"iifname \"{uplink}\" ct state related ct direction original", "counter drop", Comment("error from the uplink about a flow not going out"));
                foreach (var family in Families)
                {
                    // A flow between two clients never met the uplink: anyone there could otherwise break it with a forged error.
                    var clients = ClientAddresses(family);
                    if (clients.Length > 0)
                    {
                        NftRule($"iifname \"{uplink}\" ct state related ct original {Ip(family)} daddr {Addresses(clients)}", "counter drop",
                            Comment("error from the uplink about a flow between clients"));
                    }
                }
                return;
            }
            // Without the uplink's interface, whatever does not come from a client's address is taken as from the uplink.
            foreach (var family in Families)
            {
                var clients = ClientAddresses(family);
                var outside = clients.Length > 0 ? $"{Ip(family)} saddr != {Addresses(clients)}" : NfProto(family);
                NftRule(outside, "ct state related ct direction original", "counter drop", Comment("error from outside the clients about a flow not going out"));
                if (clients.Length > 0)
                {
                    NftRule(outside, $"ct state related ct original {Ip(family)} daddr {Addresses(clients)}", "counter drop",
                        Comment("error from outside the clients about a flow between clients"));
                }
            }
        }

        /// <summary>
        /// An ICMP error from a client about a tracked flow it is no end of is dropped: in the forward chain another
        /// client's flow, in the input chain the host's own connections to others (conntrack calls both related).
        /// </summary>
        private void ClientRelatedChecks()
        {
            for (var c = 0; c < _model.Clients.Count; c++)
            {
                var name = _model.Clients[c].Name;
                foreach (var family in Families)
                {
                    var own = _owned[c].Where(a => Is(a, family)).ToArray();
                    if (_interfaces[c].Count > 0)
                    {
                        var from = $"iifname {Interfaces(_interfaces[c])}";
                        NftRule(from, "ct state related",
                            own.Length > 0 ? $"ct original {Ip(family)} saddr != {Addresses(own)} ct reply {Ip(family)} saddr != {Addresses(own)}" : NfProto(family),
                            "counter drop", Comment($"error from {name} about a flow not its own"));
                    }
                    else if (own.Length > 0)
                    {
                        NftRule($"{Ip(family)} saddr {Addresses(own)} ct state related",
                            $"ct original {Ip(family)} saddr != {Addresses(own)} ct reply {Ip(family)} saddr != {Addresses(own)}",
                            "counter drop", Comment($"error from {name} about a flow not its own"));
                    }
                }
            }
        }

        private IPAddress[] ClientAddresses(Family family) =>
            _model.Clients.SelectMany(x => x.Addresses).Where(a => Is(a, family)).Distinct().ToArray();

        private void Client(int c)
        {
            var client = _model.Clients[c];
            Line(1, $"chain {_chains[c]} {{");
            Line(2, $"# Client {client.Name}: {client.Rules.Count} rule(s), first match wins, then the default drop.");
            var now = _options.NowUnix;

            // Lethe: a drop/reject rule whose dsthost does not resolve blocks the whole client until it does.
            foreach (var rule in client.Rules)
            {
                if (rule.Rule is { Host: { } host, Action: not RuleAction.Accept } && !rule.Rule.IsExpiredAt(now) &&
                    !_options.ResolvedHosts.ContainsKey(host))
                {
                    Line(2, $"# {rule.Id}: dsthost {host} is unresolved (no --resolve {host}=ADDR or {host}=), and Lethe blocks the whole");
                    Line(2, "# client while a drop names an unresolved host, so a DNS failure never turns a drop into an accept.");
                    if (rule.Rule.Expire is { } until)
                    {
                        Line(2, $"# {rule.Id} expires at {Time(until)}, and the block with it ({ClockNote(until)}).");
                    }
                    NftRule(Until(rule.Rule), "counter", DropVerdict, Comment(rule.Id));
                }
            }

            if (client.Rules.Any(r => r.Rule.Action == RuleAction.Accept && !r.Rule.HasExplicitNetwork && !r.Rule.IsExpiredAt(now)) &&
                _model.Clients.Count > 1)
            {
                Line(2, "# Isolation: an accept without dst4/dst6 skips other clients (@clients4/@clients6 but this one's own).");
            }

            foreach (var rule in client.Rules)
            {
                RuleLines(c, rule);
            }
            NftRule("counter", DropVerdict, Comment("default drop"));
            Line(1, "}");
        }

        /// <summary>Whether a client other than <paramref name="c"/> lists <paramref name="address"/>: an accept isolation applies to skips it.</summary>
        private bool IsOthers(int c, IPAddress address, Family family) =>
            _listedBy[(int)family].TryGetValue(address, out var by) && by != c;

        private bool HasOthers(int c, Family family) =>
            _clientsListing[(int)family] - (_model.Clients[c].Addresses.Any(a => Is(a, family)) ? 1 : 0) > 0;

        /// <summary>The addresses of <paramref name="family"/> that client <paramref name="c"/> lists and no other client does.</summary>
        private IPAddress[] OwnOnly(int c, Family family) =>
            _model.Clients[c].Addresses.Where(a => Is(a, family) && _listedBy[(int)family][a] == c).Distinct().ToArray();

        private void RuleLines(int c, ModelRule modelRule)
        {
            var rule = modelRule.Rule;
            var id = modelRule.Id;
            if (rule.Expire is { } expire && rule.IsExpiredAt(_options.NowUnix))
            {
                Line(2, $"# {id}: expired at {Time(expire)}: left out (render again if the clock is set back before it: Lethe then matches it again).");
                return;
            }
            IReadOnlyList<IPAddress>? answers = null;
            if (rule.Host is { } host && !_options.ResolvedHosts.TryGetValue(host, out answers))
            {
                Line(2, rule.Action == RuleAction.Accept
                    ? $"# {id}: dsthost {host} is unresolved (no --resolve {host}=ADDR or {host}=): this accept matches nothing, as in Lethe."
                    : $"# {id}: dsthost {host} is unresolved: the rule at the top of this chain blocks the client.");
                return;
            }
            if (rule.Expire is { } later)
            {
                Line(2, $"# {id}: expires at {Time(later)} ({ClockNote(later)}): it matches nothing from then on, as in Lethe.");
            }

            var isolate = rule.Action == RuleAction.Accept && !rule.HasExplicitNetwork;
            var destinations = new List<(Family Family, Destination Destination)>();
            string? nothing = null;
            foreach (var family in Families)
            {
                var destination = DestinationOf(rule, family, answers, isolate ? c : -1, ref nothing);
                if (destination is not null)
                {
                    destinations.Add((family, destination));
                }
            }
            if (destinations.Count == 0)
            {
                Line(2, $"# {id}: matches nothing here: {nothing ?? "no address of either family"}.");
                return;
            }

            // One rule for both families when nothing in it depends on the family.
            if (destinations.Count == 2 && destinations.All(d => d.Destination.Any) && rule.Protocol != RuleProtocol.Icmp)
            {
                Emit(rule, id, null, "");
                return;
            }
            foreach (var (family, destination) in destinations)
            {
                if (destination.Isolated)
                {
                    // Two rules with one verdict, side by side, match what either matches, as one would.
                    _clientSetUsed[(int)family] = true;
                    Emit(rule, id, family, $"{Ip(family)} daddr != @{ClientSet(family)}");
                    if (destination.Own is { Count: > 0 } own)
                    {
                        Emit(rule, id, family, $"{Ip(family)} daddr {Addresses(own)}");
                    }
                    continue;
                }
                Emit(rule, id, family, destination.Include is { } include ? $"{Ip(family)} daddr {Set(include)}" : NfProto(family));
            }
        }

        /// <summary>
        /// What the rule can match in <paramref name="family"/>, or null for nothing: its network, its dsthost
        /// answers or the resolvers, less the addresses of clients other than <paramref name="isolateFrom"/> (when
        /// not -1: isolation applies).
        /// </summary>
        private Destination? DestinationOf(Rule rule, Family family, IReadOnlyList<IPAddress>? answers, int isolateFrom, ref string? nothing)
        {
            List<IPAddress>? addresses = null; // null: any address of the family
            if (rule.Network is { } network)
            {
                if (!Is(network.Address, family))
                {
                    return null; // dst4 never matches IPv6, dst6 never IPv4
                }
                if (!rule.DnsTarget)
                {
                    return network.PrefixLength == 0 ? new Destination(null) : new Destination([Prefix(network)]);
                }
                addresses = _options.DnsResolvers.Where(r => Is(r, family) && network.Contains(r)).Distinct().ToList();
                if (addresses.Count == 0)
                {
                    nothing = $"no --dns resolver lies in {network}";
                }
            }
            else if (answers is not null)
            {
                addresses = answers.Where(a => Is(a, family)).Distinct().ToList();
                if (rule.DnsTarget)
                {
                    addresses = addresses.Where(a => _options.DnsResolvers.Contains(a)).ToList();
                }
                if (addresses.Count == 0)
                {
                    nothing ??= rule.DnsTarget ? $"no --resolve answer for {rule.Host} is a --dns resolver" : $"no --resolve answer for {rule.Host}";
                }
            }
            else if (rule.DnsTarget)
            {
                addresses = _options.DnsResolvers.Where(r => Is(r, family)).Distinct().ToList();
                if (addresses.Count == 0)
                {
                    nothing ??= "specialtarget=dns, and no --dns resolver was given";
                }
            }

            if (addresses is null)
            {
                return isolateFrom >= 0 && HasOthers(isolateFrom, family)
                    ? new Destination(null, Isolated: true, Own: OwnOnly(isolateFrom, family))
                    : new Destination(null);
            }
            var before = addresses.Count;
            if (isolateFrom >= 0)
            {
                addresses.RemoveAll(a => IsOthers(isolateFrom, a, family));
            }
            if (addresses.Count == 0)
            {
                if (before > 0)
                {
                    nothing = "each address it names belongs to another client, and an accept without dst4/dst6 never opens one";
                }
                return null;
            }
            return new Destination(addresses.Select(Address).ToArray());
        }

        /// <summary>
        /// A match that holds until the rule's expire, as Lethe stops matching it then (<see cref="Rule.IsExpiredAt"/>);
        /// none for an expire past <see cref="LastMetaTimeExpire"/>, which nft would write as a time long gone.
        /// </summary>
        private static string? Until(Rule rule) =>
            rule.Expire is { } expire && expire <= LastMetaTimeExpire ? $"meta time < {expire.ToString(CultureInfo.InvariantCulture)}" : null;

        private static string ClockNote(long expire) => expire <= LastMetaTimeExpire
            ? "meta time, the kernel's clock"
            : "past what meta time, the kernel's clock, holds: no time match, as that clock never gets there";

        /// <summary>The nft rule(s) for one family (or both, <paramref name="family"/> null): protocol, then verdict.</summary>

        private void Emit(Rule rule, string id, Family? family, string address)
        {
            var until = Until(rule);
            var ports = rule.DnsTarget ? "53" : rule.Ports is { } p ? (p.Low == p.High ? p.Low.ToString(CultureInfo.InvariantCulture) : $"{p.Low}-{p.High}") : null;
            (string Match, bool? Tcp)[] protocols = rule.Protocol switch
            {
                RuleProtocol.Tcp => [(ports is null ? "meta l4proto tcp" : $"tcp dport {ports}", (bool?)true)],
                RuleProtocol.Udp => [(ports is null ? "meta l4proto udp" : $"udp dport {ports}", (bool?)false)],
                RuleProtocol.Icmp => [(family == Family.V6
                    ? "meta l4proto ipv6-icmp" + (rule.IcmpType is { } t6 ? $" icmpv6 type {t6}" : "")
                    : "meta l4proto icmp" + (rule.IcmpType is { } t4 ? $" icmp type {t4}" : ""), (bool?)false)],
                _ when rule.DnsTarget => [("tcp dport 53", true), ("udp dport 53", false)],
                _ => [("", null)],
            };
            foreach (var (protocol, tcp) in protocols)
            {
                switch (rule.Action)
                {
                    case RuleAction.Accept:
                        NftRule(address, protocol, until, "counter accept", Comment(id));
                        break;
                    case RuleAction.Drop:
                        NftRule(address, protocol, until, "counter", DropVerdict, Comment(id));
                        break;
                    default:
                        // Lethe's reject: a TCP reset for TCP, administratively prohibited for anything else.
                        if (tcp is null)
                        {
                            NftRule(address, "meta l4proto tcp", until, "counter", TcpReset, Comment(id));
                            NftRule(address, until, "counter", AdminProhibited, Comment(id));
                        }
                        else
                        {
                            NftRule(address, protocol, until, "counter", tcp.Value ? TcpReset : AdminProhibited, Comment(id));
                        }
                        break;
                }
            }
        }

        private void Postrouting()
        {
            Line(1, "chain postrouting {");
            Line(2, "type nat hook postrouting priority srcnat; policy accept;");
            var uplink = _options.UplinkInterface;
            if (uplink is null)
            {
                Line(2, "# No --uplink-interface: translate client traffic whose destination is not a client (Lethe never");
                Line(2, "# translates between clients).");
            }
            var given = _options.UplinkV4 is not null || _options.UplinkV6 is not null;
            if (!given)
            {
                Line(2, "# No --uplink-address: both families are masqueraded behind the uplink's own address. Here the");
                Line(2, "# kernel and Lethe differ: lethe-firewall boot without --uplink-address routes both untranslated.");
            }
            foreach (var family in Families)
            {
                var target = family == Family.V4 ? _options.UplinkV4 : _options.UplinkV6;
                var name = family == Family.V4 ? "IPv4" : "IPv6";
                if (given && target is null)
                {
                    Line(2, $"# {name} leaves untranslated: --uplink-address names none, and Lethe routes such a family as it is.");
                    continue;
                }
                var translation = target is null ? "masquerade" : $"snat {Ip(family)} to {Address(target)}";
                if (uplink is not null)
                {
                    NftRule($"oifname \"{uplink}\"", given ? NfProto(family) : null, "counter", translation, Comment(given ? $"{name} to the uplink" : "masquerade on the uplink"));
                    if (!given)
                    {
                        break; // masquerade covers both families in one rule
                    }
                    continue;
                }
                var clients = _owned.SelectMany(o => o).Where(a => Is(a, family)).ToArray();
                if (clients.Length == 0)
                {
                    continue;
                }
                var all = Addresses(ClientAddresses(family));
                NftRule($"{Ip(family)} saddr {Addresses(clients)} {Ip(family)} daddr != {all}", "counter", translation, Comment($"{name} from clients"));
            }
            Line(1, "}");
        }
    }
}
