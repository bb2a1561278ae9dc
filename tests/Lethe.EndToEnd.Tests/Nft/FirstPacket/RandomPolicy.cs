using System.Net;
using System.Numerics;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;

namespace Lethe.EndToEnd.Tests.Nft.FirstPacket;

/// <summary>
/// A random policy of one to three clients, each with IPv4 and IPv6 addresses of its own, and zero to seven
/// Qubes rules in any form the parser takes: accept, drop or reject; dst4/dst6 prefixes of any length over
/// remotes, clients, the uplink's network or everything; dsthost names resolved, resolved to nothing or not
/// at all, and address literals; tcp/udp with port ranges, icmp with a type; specialtarget=dns; expire past
/// and to come. Also what the engine and the ruleset are told beside it: the resolvers and the names' answers.
/// Addresses are documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and ULA (fd09::/64).
/// </summary>
internal sealed class RandomPolicy
{
    /// <summary>The firewall's uplink addresses; the kernel's uplink holds them with a prefix, /24 and /64, and Lethe is told both.</summary>
    public const string Uplink4 = "198.51.100.1";
    public const string Uplink6 = "2001:db8:ff::1";
    public const int UplinkPrefix4 = 24;
    public const int UplinkPrefix6 = 64;

    /// <summary>The uplink /24's broadcast and the /64's subnet-router anycast (RFC 4291 §2.6.1): the kernel's own by the prefix alone.</summary>
    public const string UplinkBroadcast4 = "198.51.100.255";
    public const string UplinkAnycast6 = "2001:db8:ff::";

    /// <summary>The firewall's own address on each client link (the kernel's; Lethe's engine has none), never a destination.</summary>
    public const string ClientSide4 = "192.0.2.1";
    public const string ClientSide6 = "fd09::1";

    public const int MaxClients = 3;

    private static readonly string[] Names = ["work", "personal", "vault"];
    private static readonly string[] HostNames = ["a.example", "b.example", "c.example"];

    private readonly Random _random;
    private readonly List<string> _rules = [];

    public RandomPolicy(Random random, long nowUnix)
    {
        _random = random;
        NowUnix = nowUnix;
        var pool4 = Shuffled(Enumerable.Range(2, 60).Select(i => "192.0.2." + i));
        var pool6 = Shuffled(Enumerable.Range(2, 60).Select(i => $"fd09::{i:x}"));
        var clients = random.Next(4) == 0 ? 1 : random.Next(2, MaxClients + 1);
        var addresses = new List<string>[clients];
        for (var c = 0; c < clients; c++)
        {
            addresses[c] = [];
            var (v4, v6) = random.Next(6) switch
            {
                0 => (1, 0),
                1 => (0, 1),
                2 => (2, 1),
                3 => (1, 2),
                _ => (1, 1),
            };
            for (var i = 0; i < v4; i++)
            {
                addresses[c].Add(pool4[0]);
                pool4.RemoveAt(0);
            }
            for (var i = 0; i < v6; i++)
            {
                addresses[c].Add(pool6[0]);
                pool6.RemoveAt(0);
            }
        }
        ClientAddresses = addresses;
        Resolvers = new[] { "203.0.113.53", "2001:db8:53::53", addresses[random.Next(clients)][0] }
            .Where(_ => random.Next(3) > 0).Distinct().Select(IPAddress.Parse).ToArray();
        var answers = new Dictionary<string, IReadOnlyList<IPAddress>>(StringComparer.Ordinal);
        foreach (var name in HostNames)
        {
            var pick = random.Next(5);
            if (pick == 0)
            {
                continue; // unresolved: an accept naming it matches nothing, a drop blocks the client
            }
            var candidates = new List<string> { Remote4(), Remote6(), addresses[random.Next(clients)][0], "203.0.113.53" };
            answers[name] = pick == 1 ? [] : candidates.Where(_ => random.Next(2) == 0).Distinct().Select(IPAddress.Parse).ToArray();
        }
        var clientList = new List<SnapshotClient>();
        for (var c = 0; c < clients; c++)
        {
            var rules = new List<SnapshotRule>();
            var count = random.Next(0, 8);
            for (var r = 0; r < count; r++)
            {
                // Half the clients end with a broad accept, so that much passes, isolation is met and clients reach each other.
                var text = r == count - 1 && random.Next(2) == 0
                    ? new[] { "action=accept", "action=accept proto=tcp", "action=accept proto=udp", "action=accept dst4=192.0.2.0/24", "action=accept dst6=fd09::/64" }[random.Next(5)]
                    : Rule();
                _rules.Add(text);
                rules.Add(new SnapshotRule($"{Names[c]}-{r}", RuleParser.Parse(text, nowUnix).ToString()));
            }
            clientList.Add(new SnapshotClient(Names[c], [.. addresses[c]], [.. rules]));
        }
        Content = new SnapshotContent(SnapshotContent.CurrentFormat, "fp", [.. clientList]);
        var used = _rules.SelectMany(r => r.Split(' ')).Where(p => p.StartsWith("dsthost=", StringComparison.Ordinal)).Select(p => p[8..]).ToHashSet();
        // The renderer refuses an answer for a name no rule names (a --resolve typo), so only the names used.
        Hosts = answers.Where(a => used.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
    }

    public long NowUnix { get; }

    public SnapshotContent Content { get; }

    public IReadOnlyList<List<string>> ClientAddresses { get; }

    public IReadOnlyList<IPAddress> Resolvers { get; }

    /// <summary>The dsthost answers (--resolve); a name missing here is unresolved.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IPAddress>> Hosts { get; }

    /// <summary>Every network a rule names, for destinations inside, at and just past its edges.</summary>
    public List<Cidr> Networks { get; } = [];

    /// <summary>Every port range a rule names, for ports on and just past its edges.</summary>
    public List<PortRange> Ports { get; } = [];

    /// <summary>Every ICMP type a rule names.</summary>
    public List<int> IcmpTypes { get; } = [];

    public string Describe() => string.Join("\n", Content.Clients.Select(c =>
        $"  {c.Name} [{string.Join(", ", c.Addresses)}]" + string.Concat(c.Rules.Select(r => $"\n    {r.Id}: {r.Rule}")))) +
        $"\n  resolvers [{string.Join(", ", Resolvers)}]; hosts {{{string.Join("; ", Hosts.Select(h => $"{h.Key}=[{string.Join(", ", h.Value)}]"))}}}";

    public string Remote4() => $"203.0.113.{_random.Next(2, 250)}";

    public string Remote6() => $"2001:db8:{_random.Next(1, 8):x}::{_random.Next(1, 0xffff):x}";

    private List<string> Shuffled(IEnumerable<string> items) => [.. items.OrderBy(_ => _random.Next())];

    private string Rule()
    {
        while (true)
        {
            var text = new[] { "action=accept", "action=accept", "action=drop", "action=reject" }[_random.Next(4)];
            switch (_random.Next(10))
            {
                case 0: text += $" expire={NowUnix - _random.Next(5, 100_000)}"; break;
                case 1: text += $" expire={NowUnix + _random.Next(3_600, 100_000)}"; break;
            }
            Cidr? network = null;
            switch (_random.Next(20))
            {
                case < 7:
                    break;
                case < 11:
                    network = Network(v6: false);
                    text += " dst4=" + network;
                    break;
                case < 15:
                    network = Network(v6: true);
                    text += " dst6=" + network;
                    break;
                case < 18:
                    text += " dsthost=" + HostNames[_random.Next(HostNames.Length)];
                    break;
                default:
                    text += " dsthost=" + (_random.Next(2) == 0 ? Remote4() : ClientAddresses[_random.Next(ClientAddresses.Count)][0]);
                    break;
            }
            var proto = new[] { "", "", " proto=tcp", " proto=tcp", " proto=udp", " proto=udp", " proto=icmp" }[_random.Next(7)];
            text += proto;
            var dns = proto != " proto=icmp" && _random.Next(8) == 0;
            if (dns)
            {
                text += " specialtarget=dns";
            }
            PortRange? ports = null;
            if (proto is " proto=tcp" or " proto=udp" && _random.Next(3) > 0)
            {
                ports = dns ? new PortRange(53, 53) : Range();
                text += $" dstports={ports.Value.Low}-{ports.Value.High}";
            }
            int? icmpType = null;
            if (proto == " proto=icmp" && _random.Next(2) == 0)
            {
                icmpType = new[] { 0, 8, 8, 13, 128, 128, 129, 139, _random.Next(256) }[_random.Next(9)];
                text += $" icmptype={icmpType}";
            }
            if (!RuleParser.TryParse(text, NowUnix, out _, out _))
            {
                continue;
            }
            if (network is { } named)
            {
                Networks.Add(named);
            }
            if (ports is { } p)
            {
                Ports.Add(p);
            }
            if (icmpType is { } t)
            {
                IcmpTypes.Add(t);
            }
            return text;
        }
    }

    private PortRange Range()
    {
        int[] anchors = [0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65534, 65535];
        var low = _random.Next(3) == 0 ? _random.Next(65536) : anchors[_random.Next(anchors.Length)];
        var high = _random.Next(3) == 0 ? low : Math.Min(65535, low + new[] { 1, 2, 10, 1000, 65535 }[_random.Next(5)]);
        return new PortRange(low, high);
    }

    /// <summary>A prefix of any length over a remote, a client, the uplink's network or everything; host bits often set.</summary>
    private Cidr Network(bool v6)
    {
        var own = ClientAddresses.SelectMany(a => a).Where(a => a.Contains(':') == v6).ToArray();
        var anchor = _random.Next(6) switch
        {
            0 when own.Length > 0 => own[_random.Next(own.Length)],
            1 => v6 ? Uplink6 : Uplink4,
            2 => v6 ? "2001:db8:53::53" : "203.0.113.53",
            _ => v6 ? Remote6() : Remote4(),
        };
        var max = v6 ? 128 : 32;
        var prefix = _random.Next(10) switch
        {
            0 => 0,
            1 => max,
            2 => max - 1,
            3 => max - _random.Next(2, 9),
            4 => v6 ? 64 : 24,
            5 => v6 ? 32 : 16,
            _ => _random.Next(max + 1),
        };
        return new Cidr(IPAddress.Parse(anchor), prefix);
    }

    /// <summary>An address at <paramref name="offset"/> from <paramref name="network"/>'s first (negative: before it), or its last (from the end).</summary>
    public static IPAddress Edge(Cidr network, BigInteger offset, bool fromEnd)
    {
        var bytes = network.Address.GetAddressBytes();
        var bits = bytes.Length * 8;
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var size = BigInteger.One << (bits - network.PrefixLength);
        var first = value / size * size;
        var at = (fromEnd ? first + size - 1 : first) + offset;
        var modulus = BigInteger.One << bits;
        at = ((at % modulus) + modulus) % modulus;
        var raw = at.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[bytes.Length];
        raw.AsSpan(Math.Max(0, raw.Length - result.Length)).CopyTo(result.AsSpan(Math.Max(0, result.Length - raw.Length)));
        return new IPAddress(result);
    }
}
