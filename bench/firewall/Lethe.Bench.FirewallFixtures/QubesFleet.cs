namespace Lethe.Bench.FirewallFixtures;

public sealed record QubesClient(string Name, string[] Addresses, IReadOnlyList<string> Rules);

/// <summary>
/// Deterministic sets of Qubes qubes and their firewall rules, in the syntax `qvm-firewall --raw`
/// lists. Every client accepts new TCP flows to 192.0.2.0/24 port 443 and 203.0.113.0/24 ports
/// 80-443 (the TEST-NET destinations of <see cref="SynCapture"/>); no rule drops them.
/// </summary>
public static class QubesFleet
{
    private static readonly string[] Names = ["work", "personal", "banking", "dev", "mail", "media", "shopping", "social", "untrusted", "updates"];

    private static readonly (int Low, int High)[] TcpPorts =
        [(443, 443), (80, 80), (22, 22), (8080, 8080), (8000, 8999), (993, 993), (587, 587), (3389, 3389), (5432, 5432), (1024, 65535)];

    private static readonly (int Low, int High)[] UdpPorts =
        [(123, 123), (51820, 51820), (1194, 1194), (500, 500), (4500, 4500), (3478, 3481), (60000, 61000)];

    /// <summary>10 clients x 100 rules: <c>specialtarget=dns</c> first, 98 mixed rules, <c>action=drop</c> last.</summary>
    public static IReadOnlyList<QubesClient> Large() =>
        Enumerable.Range(0, Names.Length).Select(c => new QubesClient(
            Names[c],
            [$"10.137.0.{10 + c}", $"fd09:24ef:4179::a89:{10 + c:x}"],
            ClientRules(c))).ToArray();

    /// <summary>2 clients x 5 rules, the size of the policy scripts/demo builds.</summary>
    public static IReadOnlyList<QubesClient> Demo() =>
    [
        new("work", ["10.137.0.5", "fd09:24ef:4179::a89:5"],
        [
            "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443",
            "action=accept dst4=203.0.113.0/24 proto=tcp dstports=80-443",
            "action=accept specialtarget=dns",
            "action=accept proto=icmp icmptype=8",
            "action=drop",
        ]),
        new("personal", ["10.137.0.6"],
        [
            "action=accept proto=tcp dstports=80-80",
            "action=accept proto=tcp dstports=443-443",
            "action=accept specialtarget=dns",
            "action=accept proto=udp dstports=123-123",
            "action=drop",
        ]),
    ];

    private static List<string> ClientRules(int c)
    {
        var rng = new Random(20_260_403 + c);
        var rules = new List<string>(100) { "action=accept specialtarget=dns" };
        for (var i = 1; i < 99; i++)
        {
            rules.Add(i switch
            {
                40 => "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443",
                75 => "action=accept dst4=203.0.113.0/24 proto=tcp dstports=80-443",
                _ => Mixed(c, i, rng),
            });
        }
        rules.Add("action=drop");
        return rules;
    }

    /// <summary>One of the rules people write: mostly TCP/UDP services of one network, some ICMP, drops, IPv6 and names.</summary>
    private static string Mixed(int c, int i, Random rng)
    {
        var kind = rng.Next(100);
        switch (kind)
        {
            case < 40:
            {
                var (low, high) = TcpPorts[rng.Next(TcpPorts.Length)];
                return $"action=accept dst4={Network(c, i, rng)} proto=tcp dstports={low}-{high}";
            }
            case < 55:
            {
                var (low, high) = UdpPorts[rng.Next(UdpPorts.Length)];
                return $"action=accept dst4={Network(c, i, rng)} proto=udp dstports={low}-{high}";
            }
            case < 61:
                return rng.Next(2) == 0
                    ? $"action=accept dst4={Network(c, i, rng)} proto=icmp icmptype=8"
                    : $"action=accept dst4={Network(c, i, rng)} proto=icmp";
            case < 69:
                return $"action=drop dst4={Network(c, i, rng)}";
            case < 77:
                return $"action=accept dst6=2001:db8:{c:x}:{i:x}::/64 proto=tcp dstports=443-443";
            case < 83:
                // Names stay unresolved without --dns: an accept rule naming one matches nothing.
                return $"action=accept dsthost=mirror{i}.{Names[c]}.example.org proto=tcp dstports=443-443";
            case < 90:
                return $"action=accept dst4={Network(c, i, rng)} proto=tcp";
            default:
                return $"action=accept dst4={Network(c, i, rng)}";
        }
    }

    /// <summary>Rule i's network, inside 100.(64+c).i.0/24, or now and then a /16 of 172.16.0.0/12; never TEST-NET.</summary>
    private static string Network(int c, int i, Random rng)
    {
        return rng.Next(100) switch
        {
            < 45 => $"100.{64 + c}.{i}.0/24",
            < 60 => $"100.{64 + c}.{i}.{rng.Next(16) * 16}/28",
            < 97 => $"100.{64 + c}.{i}.{rng.Next(1, 255)}/32",
            _ => $"172.{16 + rng.Next(16)}.0.0/16",
        };
    }
}
