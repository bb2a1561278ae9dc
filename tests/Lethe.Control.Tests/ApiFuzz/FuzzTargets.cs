using System.Text.Json.Nodes;

namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>
/// A valid request to each writing endpoint, made from the policy as it is now (its clients, rule ids,
/// test ids and versions), for <see cref="BodyMutations"/> to break.
/// </summary>
internal static class FuzzTargets
{
    public readonly record struct Target(string Path, JsonObject Body, string Policy);

    public const int Count = 13;

    /// <param name="draft">GET /policies/{policy} as it answers now.</param>
    /// <param name="serial">A number no earlier request used, for names and addresses that must be new.</param>
    public static Target Make(int which, string policy, JsonNode draft, int serial, Random random)
    {
        var clients = draft["clients"]!.AsArray();
        var client = clients.Count == 0 ? "work" : clients[random.Next(clients.Count)]!["name"].Str();
        var rules = clients.SelectMany(c => c!["rules"]!.AsArray()).Select(r => r!["id"].Str()).ToArray();
        var rule = rules.Length == 0 ? "r-none" : rules[random.Next(rules.Length)];
        var tests = draft["tests"]!.AsArray().Select(t => t!["id"].Str()).ToArray();
        var test = tests.Length == 0 ? "t-none" : tests[random.Next(tests.Length)];
        var latest = draft["latestVersion"]!.GetValue<int>();
        var p = "/policies/" + policy;
        return which switch
        {
            0 => new("/policies", new() { ["name"] = $"fz-new-{serial}", ["reason"] = "a policy for the fuzzer" }, $"fz-new-{serial}"),
            1 => new(p + "/clients", new()
            {
                ["name"] = $"c{serial}", ["addresses"] = new JsonArray($"2001:db8::{serial:x}"), ["reason"] = "add a machine",
            }, policy),
            2 => new($"{p}/clients/{client}/remove", new() { ["reason"] = "machine retired" }, policy),
            3 => new($"{p}/clients/{client}/rules", new()
            {
                ["rule"] = Rules[random.Next(Rules.Length)], ["reason"] = "open what it needs", ["position"] = random.Next(2) == 0 ? null : 0,
            }, policy),
            4 => new($"{p}/clients/{client}/rules/import", new()
            {
                ["lines"] = new JsonArray("# from Qubes", Rules[random.Next(Rules.Length)], Rules[random.Next(Rules.Length)]),
                ["reason"] = "import from Qubes", ["replace"] = random.Next(2) == 0,
            }, policy),
            5 => new($"{p}/rules/{rule}/remove", new() { ["reason"] = "not needed" }, policy),
            6 => new($"{p}/rules/{rule}/move", new() { ["position"] = 0, ["reason"] = "first" }, policy),
            7 => new($"{p}/rules/{rule}/replace", new() { ["rule"] = Rules[random.Next(Rules.Length)], ["reason"] = "narrower" }, policy),
            8 => new(p + "/tests", new()
            {
                ["client"] = client, ["to"] = "192.0.2.10", ["expect"] = random.Next(2) == 0 ? "accept" : "drop", ["reason"] = "guard the web",
                ["proto"] = "tcp", ["port"] = 443,
            }, policy),
            9 => new($"{p}/tests/{test}/remove", new() { ["reason"] = "obsolete" }, policy),
            10 => new(p + "/publish", new() { ["reason"] = "ship it", ["confirmWithinSeconds"] = random.Next(2) == 0 ? null : 60 }, policy),
            11 => new(p + "/confirm", new() { ["reason"] = "still reachable", ["version"] = latest == 0 ? 1 : latest }, policy),
            _ => new(p + "/rollback", new() { ["toVersion"] = latest <= 1 ? 1 : random.Next(1, latest + 1), ["reason"] = "back to good" }, policy),
        };
    }

    private static readonly string[] Rules =
    [
        "action=accept", "action=drop", "action=accept dst4=192.0.2.10 proto=tcp dstports=443", "action=reject dst6=2001:db8::/32",
        "action=accept specialtarget=dns", "action=accept proto=icmp icmptype=8", "action=drop dst4=198.51.100.0/24 proto=udp dstports=1000-2000",
        "action=accept dsthost=example.test proto=tcp dstports=80 comment=web",
    ];

    /// <summary>A GET with its query (or a path segment) made odd; <paramref name="field"/> is the parameter at fault, if one is.</summary>
    public static string Query(string policy, JsonNode draft, Random random, out string? field)
    {
        var p = "/policies/" + policy;
        var value = QueryValue(random);
        switch (random.Next(7))
        {
            case 0:
                field = "at";
                return $"{p}?at={value}";
            case 1:
                field = null; // from and to are told apart by their messages; either may be named
                return random.Next(3) switch
                {
                    0 => $"{p}/diff?from={value}",
                    1 => $"{p}/diff?from=1&to={value}",
                    _ => $"{p}/diff?from={value}&to={QueryValue(random)}",
                };
            case 2:
                field = "limit";
                return $"{p}/history?limit={value}";
            case 3:
                field = "before";
                return $"{p}/history?limit=5&before={value}";
            case 4:
                field = null;
                return $"{p}/snapshots/{value}";
            case 5:
                field = null;
                return random.Next(3) switch
                {
                    0 => $"{p}?at={value}&at={QueryValue(random)}",
                    1 => $"{p}/history?limit={value}&limit=3",
                    _ => $"/policies/{value}",
                };
            default:
                field = null;
                string[] plain = [p, p + "/tests", p + "/snapshots", p + "/history", "/policies", "/signing-key", p + "/diff?from=draft"];
                return plain[random.Next(plain.Length)] + (random.Next(2) == 0 ? "" : "?" + QueryValue(random) + "=" + QueryValue(random));
        }
    }

    private static string QueryValue(Random random)
    {
        string[] values =
        [
            "", "1", "0", "-1", "+1", "%2B1", "%201", "1.5", "1e3", "2147483648", "99999999999999999999", "latest", "draft", "v1", "%00", "%", "%zz",
            "%C3%28", "%ED%A0%80", "%FF", "%E2%80%AE", "2026-11-29T10:00:00Z", "2026-11-29", "2026-13-45T99:99:99Z", "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "10000-01-01", "2026-11-29T10:00:00%2B14:00", "2026-11-29T10:00:00-25:00", "1700000000", "now", "%22%22",
            "%0A", "..", "%2F", "a%2Fb", "%F0%9F%98%80", "1000", "1001", "-9223372036854775808", "9223372036854775807", "0x10", "1,2", "%20",
        ];
        if (random.Next(10) == 0)
        {
            return new string('9', random.Next(100, 5000));
        }
        if (random.Next(10) == 0)
        {
            var bytes = new byte[random.Next(1, 20)];
            random.NextBytes(bytes);
            return Uri.EscapeDataString(Convert.ToBase64String(bytes)) + string.Concat(bytes.Select(b => "%" + b.ToString("X2")));
        }
        return values[random.Next(values.Length)];
    }
}
