using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Lethe.Domain.Rules;
using Lethe.TestSupport.ArgvFuzz;
using static Lethe.TestSupport.ArgvFuzz.ArgvJudges;

namespace Lethe.Control.Tests.CliFuzz;

/// <summary>
/// Valid `lethe` command lines, one per row of the README's command table, built from the fuzzed policy as it
/// stands (its clients, rule and test ids, versions), each slot with the values worth trying there and a judge
/// of which values the command must refuse.
/// </summary>
internal sealed class LetheSeeds(string policy, JsonNode draft, CliFuzzFiles files, int serial)
{
    /// <summary>Commands that never talk to the control plane: they take no --server or --token.</summary>
    public static bool Offline(ArgvCommand command) => command.Words is ["rule", "parse"] or ["snapshot", "verify"];

    private JsonArray Clients => draft["clients"]!.AsArray();

    private JsonArray Work => Clients.First(c => c!["name"]!.GetValue<string>() == "work")!["rules"]!.AsArray();

    private long Latest => draft["latestVersion"]?.GetValue<long>() ?? 0;

    private long Version => draft["version"]!.GetValue<long>();

    public ArgvCommand Next(Random random)
    {
        var rule = Work[random.Next(Work.Count)]!["id"]!.GetValue<string>();
        var tests = draft["tests"]!.AsArray();
        var other = Clients.Select(c => c!["name"]!.GetValue<string>()).Where(n => n != "work").ToList();
        // Slots given only now and then: an optional option, a second rule or address.
        ArgvSlot[] Maybe(int oneIn, Func<ArgvSlot> slot) => random.Next(oneIn) == 0 ? [slot()] : [];
        return random.Next(22) switch
        {
            0 => Change(["policy", "create"], random, [Argument("name", $"cfn{serial}", NewPolicyName, ["mt_x", "CF", "-x", "x y", new string('a', 64), policy], ["name"])]),
            1 => Read(["policy", "list"], random, []),
            2 => Read(random.Next(2) == 0 ? ["show"] : ["policy", "show"], random, [Policy(), .. Maybe(2, At)]),
            3 => Change(["client", "add"], random, [Policy(), Argument("name", $"c{serial}", NewClientName, ["work", "Work", "mt_", "-c", new string('c', 64)], ["name"]),
                Address(serial, 0), .. Maybe(2, () => Address(serial, 1))]),
            4 when other.Count > 0 => Change(["client", "remove"], random, [Policy(), Argument("name", random.Pick(other), NameOf(other), ["nosuch", "work "], ["name"])]),
            5 or 6 => Change(["rule", "add"], random, [Policy(), Client(), RuleText("action=accept dst4=192.0.2.7 proto=tcp dstports=8443"), .. Maybe(2, () => Position(Work.Count))]),
            7 when Work.Count > 1 => Change(["rule", "remove"], random, [Policy(), RuleId(rule)]),
            8 => Change(["rule", "move"], random, [Policy(), RuleId(rule), Position(Work.Count - 1, required: true)]),
            9 => Change(["rule", "replace"], random, [Policy(), RuleId(rule), RuleText("action=accept dst4=192.0.2.8 proto=udp dstports=53")]),
            10 => Change(["rule", "import"], random, [Policy(), Client(), ImportFile(random), .. Maybe(2, () => ArgvSlot.Flag("--replace"))]),
            11 => new ArgvCommand(["rule", "parse"], [RuleText("action=accept proto=icmp icmptype=8"), .. Maybe(2, () => RuleText("action=drop dst6=2001:db8::/32")),
                .. Maybe(3, () => ArgvSlot.Flag("--json"))], Variadic: true),
            12 => Change(["test", "add"], random, [Policy(), .. TestSlots(random)]),
            13 => Read(["test", "list"], random, [Policy()]),
            14 when tests.Count > 0 => Change(["test", "remove"], random, [Policy(),
                Argument("test-id", tests[random.Next(tests.Count)]!["id"]!.GetValue<string>(), NameOf(tests.Select(t => t!["id"]!.GetValue<string>()).ToList()), ["t-nosuch", ""], ["id"])]),
            15 => Change(["publish"], random, [Policy(), .. Maybe(3, Window)]),
            16 => Change(["confirm"], random, [Policy(), .. Maybe(2, () => ArgvSlot.Option("--version", (Latest + 1).ToString(CultureInfo.InvariantCulture),
                Whole(int.MinValue, int.MaxValue), pool: ["0", "-1", "1"]))]),
            17 => Change(["rollback"], random, [Policy(), VersionOption(Latest == 0 ? 1 : random.Next(1, (int)Latest + 1), "--to", required: true)]),
            18 => Read(["history"], random, [Policy(), .. Maybe(2, () => ArgvSlot.Option("--limit", "5", Whole(1, 1000), pool: ["0", "1001", "1000", "-5"])),
                .. Maybe(2, () => ArgvSlot.Option("--before", "3", Whole(1, long.MaxValue, long.MinValue, long.MaxValue), pool: ["0", "-1", "9223372036854775808"]))]),
            19 => Read(["diff"], random, [Policy(), VersionOrDraft("from", "1"), VersionOrDraft("to", "draft")]),
            20 when random.Next(2) == 0 => Read(["snapshot", "list"], random, [Policy()]),
            20 => Read(["snapshot", "get"], random, [Policy(),
                Argument("version", random.Next(2) == 0 ? "latest" : "1", v => v is "latest" || IsVersion(v) ? null : false, ["0", "-1", "v1", "LATEST", "99"], ["version"]),
                // Never an odd value: a word such as "abc" is a file in the test's working folder.
                ArgvSlot.Option("--out", files.Writable[0], v => v.Length == 0 || Directory.Exists(v) || v == files.Missing || Path.GetFileName(v).Length > 255 ? false : null,
                    required: true, pool: files.Writable, oddValues: false)]),
            _ => new ArgvCommand(["snapshot", "verify"], [Argument("file", files.Snapshot, Existing(files.Snapshot), [.. files.Unreadable, files.PublicKey], ["FILE"]),
                ArgvSlot.Option("--trust", files.PublicKey, Existing(files.PublicKey), required: true, pool: [.. files.Unreadable, files.PrivateKey, files.Snapshot],
                    aliases: ["trusted key"]),
                .. Maybe(3, () => ArgvSlot.Flag("--json"))]),
        };
    }

    /// <summary>A command that changes the policy: a reason (as --reason or -m), and now and then --json and the policy's version as --if-match.</summary>
    private ArgvCommand Change(string[] words, Random random, ArgvSlot[] slots)
    {
        var reason = ArgvSlot.Option(random.Next(2) == 0 ? "--reason" : "-m", "fuzz: why", Reason, required: words is not ["confirm"],
            pool: ["", " ", "\u200b", "\u3164", "\u2800", new string('x', 501), new string('x', 500), "line\nbreak", "tab\there", "@alice asked", "-", "\u202eevil"], aliases: ["--reason"]);
        var extra = new List<ArgvSlot> { reason };
        if (random.Next(4) == 0)
        {
            extra.Add(ArgvSlot.Flag("--json"));
        }
        if (words is not ["policy", "create"] && random.Next(4) == 0)
        {
            extra.Add(ArgvSlot.Option("--if-match", Version.ToString(CultureInfo.InvariantCulture),
                v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? null : false, pool: ["0", "-1", "+1", "1"]));
        }
        var all = slots.Concat(extra).ToList();
        // Options in any order, as users type them; arguments keep theirs.
        var options = all.Where(s => s.IsOption).OrderBy(_ => random.Next()).ToList();
        return new ArgvCommand(words, [.. all.Where(s => !s.IsOption), .. options]);
    }

    private static ArgvCommand Read(string[] words, Random random, ArgvSlot[] slots) =>
        new(words, [.. slots, .. random.Next(3) == 0 ? new[] { ArgvSlot.Flag("--json") } : Array.Empty<ArgvSlot>()]);

    /// <summary>Any well-formed name may be a policy the fuzzer created (policy create "true" is taken); a malformed one is refused.</summary>
    private ArgvSlot Policy() => Argument("policy", policy, v => v == policy || NewPolicyName(v) is null ? null : false, ["nosuch", "CF", policy + " ", "mt_events", "..", "%2e%2e", policy + "/clients"], ["policy"]);

    private ArgvSlot Client() => Argument("client", "work", Existing("work"), ["nosuch", "WORK", "work/rules"], ["client"]);

    private ArgvSlot RuleId(string id) => Argument("rule-id", id, Existing(id), ["r-0000000000", id.ToUpperInvariant(), id + "/remove", ""], ["id"]);

    private static ArgvSlot RuleText(string text) => Argument("rule", text, RuleJudge,
        ["action=", "action=accept dst4=999.0.0.0", "action=accept proto=tcp dstports=0", "action=accept comment=\u00e9", "action=accept dst4=192.0.2.0/24 dst6=::/0",
         "action=accept proto=tcp dstports=1-65535", "action=drop expire=+60", "-", "action=accept\u001b[2J"], ["rule"]);

    /// <summary>"-" alone is stdin (rule parse), which holds the rules file.</summary>
    private static bool? RuleJudge(string text) => text == "-" ? null : RuleParser.TryParse(text, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), out _, out _) ? null : false;

    private ArgvSlot Position(int most, bool required = false) =>
        ArgvSlot.Option("--position", Math.Max(0, most).ToString(CultureInfo.InvariantCulture), Whole(0, int.MaxValue), required,
            pool: ["-1", "0", (most + 1).ToString(CultureInfo.InvariantCulture), "10001", "2147483647"]);

    private ArgvSlot Address(int n, int family) =>
        ArgvSlot.Option("--address", family == 0 ? $"10.137.{n / 250 % 250}.{n % 250 + 1}" : $"fd09:24ef:4179::{n:x}:{family}",
            v => IPAddress.TryParse(v, out _) ? null : false, repeatable: true,
            pool: ["10.137.0.10", "::1", "224.0.0.1", "255.255.255.255", "0.0.0.0", "fe80::1", "fe80::1%eth0", "::ffff:10.137.9.9", "999.1.1.1", "1.2.3", "10.137.0.0/16"],
            aliases: ["--address #1", "--address #2", "addresses"]);

    private ArgvSlot ImportFile(Random random) =>
        Argument("file", random.Next(2) == 0 ? "-" : files.RulesFile, v => v == "-" || v == files.RulesFile ? null : false,
            [.. files.Unreadable, "/dev/zero", files.PublicKey], ["FILE", "line"]);

    private ArgvSlot[] TestSlots(Random random)
    {
        var proto = random.Next(3) switch { 0 => "tcp", 1 => "udp", _ => "icmp" };
        var slots = new List<ArgvSlot>
        {
            ArgvSlot.Option("--client", "work", Existing("work"), required: true, pool: ["nosuch", "WORK"]),
            ArgvSlot.Option("--to", "192.0.2.10", v => IPAddress.TryParse(v, out _) ? null : false, required: true, pool: ["2001:db8::1", "::", "999.0.0.1", "192.0.2.0/24", "lab.example"]),
            ArgvSlot.Option("--expect", random.Next(2) == 0 ? "accept" : "drop", OneOf("accept", "drop"), required: true, pool: ["reject", "ACCEPT", "allow"]),
        };
        if (proto != "tcp" || random.Next(2) == 0)
        {
            slots.Add(ArgvSlot.Option("--proto", proto, OneOf("tcp", "udp", "icmp"), pool: ["TCP", "sctp", "icmp6", "6"]));
        }
        if (proto == "icmp")
        {
            if (random.Next(2) == 0)
            {
                slots.Add(ArgvSlot.Option("--icmp-type", "8", Whole(0, 255), pool: ["256", "-1", "0", "255"]));
            }
        }
        else
        {
            slots.Add(ArgvSlot.Option("--port", "443", Whole(0, 65535), required: true, pool: ["0", "65536", "-1", "65535", "70000"]));
        }
        return [.. slots];
    }

    private static ArgvSlot Window() =>
        ArgvSlot.Option("--confirm-within", "5m", ConfirmWindow, pool: ["0s", "2d", "1e9", "86400", "86401", "1s", "0", "24h", "25h", "1441m", "-5m", "5 m", "5M", "1.5h", "h", "9999999999999h", "+60"]);

    /// <summary>The README's window: a whole number of seconds, minutes or hours (s, m, h, or none: seconds), from 1 s to 1 day.</summary>
    private static bool? ConfirmWindow(string text)
    {
        var unit = text.Length > 0 && text[^1] is 's' or 'm' or 'h' ? text[^1] : 's';
        var digits = text.Length > 0 && text[^1] is 's' or 'm' or 'h' ? text[..^1] : text;
        if (digits.Length == 0 || digits.Length > 9 || !digits.All(char.IsAsciiDigit))
        {
            return false;
        }
        var seconds = long.Parse(digits, CultureInfo.InvariantCulture) * (unit switch { 'm' => 60, 'h' => 3600, _ => 1 });
        return seconds is >= 1 and <= 86_400 ? null : false;
    }

    private ArgvSlot VersionOption(long value, string name, bool required) =>
        ArgvSlot.Option(name, value.ToString(CultureInfo.InvariantCulture), v => IsVersion(v) ? null : false, required,
            pool: ["0", "-1", (Latest + 1).ToString(CultureInfo.InvariantCulture), "latest", "2147483648"]);

    private bool IsVersion(string text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 1 && v <= Latest;

    private ArgvSlot VersionOrDraft(string name, string value) =>
        Argument(name, value, v => v == "draft" || (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= Latest) ? null : false,
            ["0", "-1", "DRAFT", "latest", (Latest + 1).ToString(CultureInfo.InvariantCulture), "1.0"], [name]);

    private static ArgvSlot At() =>
        ArgvSlot.Option("--at", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), v => v.Any(char.IsAsciiDigit) ? null : false,
            pool: ["03/04/2026", "10:00", "2026-13-01", "0001-01-01", "9999-12-31T23:59:59Z", "2026-11-28T21:00:00+25:00", "2026-11-28 21:00:00.123456Z", "1970-01-01"]);

    private bool? NewPolicyName(string text) => WellFormedName(text) && !text.StartsWith("mt_", StringComparison.Ordinal) && text != policy ? null : false;

    private bool? NewClientName(string text) => WellFormedName(text) && Clients.All(c => c!["name"]!.GetValue<string>() != text) ? null : false;

    private static Func<string, bool?> NameOf(IReadOnlyList<string> names) => text => names.Contains(text) ? null : false;

    private static ArgvSlot Argument(string name, string value, Func<string, bool?> judge, IReadOnlyList<string>? pool, IReadOnlyList<string> aliases) =>
        ArgvSlot.Argument(name, value, judge, pool, aliases);
}
