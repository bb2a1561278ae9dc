using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Lethe.TestSupport.ArgvFuzz;
using static Lethe.TestSupport.ArgvFuzz.ArgvJudges;

namespace Lethe.EndToEnd.Tests.FirewallFuzz;

/// <summary>
/// Valid `lethe-firewall` command lines (verify, nft, replay, boot) over the published policy's files, each slot with the
/// values worth trying there (missing files, folders, devices, huge counts, bad interface names and addresses) and a judge
/// of which the command must refuse. Paths it writes (replay --out, --verdicts) stay in <paramref name="folder"/>.
/// </summary>
internal sealed partial class FirewallSeeds(PublishedPolicy policy, string folder, string capture)
{
    public string Outputs => Path.Combine(folder, "out");

    private string Missing => Path.Combine(folder, "no-such-folder", "file");

    private string Garbage => Path.Combine(folder, "garbage");

    private string PrivateKey => Path.Combine(Path.GetDirectoryName(policy.PublicKey)!, Lethe.Infrastructure.Signing.SigningKeyFiles.PrivateKeyFile);

    private string Url(string policyName) => $"{policy.Host.Url}/policies/{policyName}/snapshots/latest";

    /// <summary>Paths no command reads as what it wants: missing, a folder, devices, garbage, a name too long for Linux.</summary>
    private string[] Unreadable => [Missing, folder, "/dev/null", "/dev/zero", Garbage, Path.Combine(folder, new string('n', 300)), ""];

    public void WriteFiles()
    {
        Directory.CreateDirectory(Outputs);
        File.WriteAllText(Garbage, "{\"format\":\"lethe.snapshot/2\"}\n\u001b[2J");
    }

    public ArgvCommand Verify(Random random) => WithToken(random, new(["verify"], [Snapshot(random, named: false), Trust()]));

    /// <summary>The viewer's token, which a file snapshot ignores and now and then goes without; a URL's seed always has it.</summary>
    private static ArgvCommand WithToken(Random random, ArgvCommand command) =>
        command.Slots.Any(s => s.Name == "--snapshot" && s.Value!.StartsWith("http", StringComparison.Ordinal)) || random.Next(3) > 0
            ? command with { Slots = [.. command.Slots, ArgvSlot.Option("--token", Lethe.TestSupport.Host.ControlPlaneHost.ViewerToken, Any, pool: ["", "wrong", "a\r\nX-Injected: 1"])] }
            : command;

    public ArgvCommand Nft(Random random)
    {
        var named = random.Next(3) == 0;
        return WithToken(random, new ArgvCommand(["nft"], Shuffled(random, [Snapshot(random, named), Trust(),
            .. Maybe(random, 2, () => ArgvSlot.Option("--uplink-interface", "eth0", LinuxInterface, pool: InterfacePool)),
            .. Maybe(random, 2, () => ArgvSlot.Option("--client-interface", "work=vif1",
                // A client the snapshot lacks is warned of, not refused: one command line serves every version.
                v => ClientDevice(v, LinuxInterface), repeatable: true,
                pool: ["nosuch=vif1", "work=", "=vif1", "work", "work=all", "work=name-far-too-long", "work=a/b", "work=vif1=x"])),
            .. Engine(random, named, replay: false),
            .. Maybe(random, 3, () => ArgvSlot.Option("--now", "1764000000", Whole(long.MinValue, long.MaxValue, long.MinValue, long.MaxValue),
                pool: ["-1", "0", "253402300800", "9223372036854775808", "1.5"]))])));
    }

    public ArgvCommand Replay(Random random)
    {
        var named = random.Next(3) == 0;
        // --verdicts is never dropped: without it the verdicts go to the test host's own stdout.
        var verdicts = ArgvSlot.Option("--verdicts", Path.Combine(Outputs, "v.jsonl"), Output, pool: OutputPool, oddValues: false) with { Keep = true };
        return WithToken(random, new ArgvCommand(["replay"], Shuffled(random, [Snapshot(random, named), Trust(),
            ArgvSlot.Option("--pcap", capture, Existing(capture), required: true, pool: [.. Unreadable, policy.V1, capture + "x"]),
            verdicts,
            .. Maybe(random, 2, () => ArgvSlot.Option("--out", Path.Combine(Outputs, "o.pcap"), Output, pool: OutputPool, oddValues: false)),
            .. Engine(random, named, replay: true),
            .. Maybe(random, 3, MaxFlows)])));
    }

    /// <summary>Boot with devices named, and everything it checks before attaching to them.</summary>
    public ArgvCommand Boot(Random random) =>
        new(["boot"], Shuffled(random, [Snapshot(random, named: false, url: false), Trust(),
            ArgvSlot.Option("--client-tun", "work=cfzw0", v => ClientDevice(v, Interface), repeatable: true,
                pool: ["nosuch=cfzw1", "work=", "=cfzw1", "work", "work=all", "work=default", "work=name-far-too-long", "work=a/b", "work=..", "work=cfzu0"]),
            .. Maybe(random, 2, () => ArgvSlot.Option("--client-tun", "personal=cfzp0", v => ClientDevice(v, Interface), repeatable: true, pool: ["personal=cfzw0", "work=cfzp0"])),
            ArgvSlot.Option("--uplink-tun", "cfzu0", Interface, pool: [.. InterfacePool, "cfzw0"]),
            .. Engine(random, named: false, replay: false),
            .. Maybe(random, 2, MaxFlows),
            .. Maybe(random, 2, () => ArgvSlot.Option("--workers", "2", Whole(1, 64), pool: ["0", "65", "-1", "1.5", "2147483648"])),
            .. Maybe(random, 2, () => ArgvSlot.Option("--cpus", "0", Cpus, pool: ["4096", "1-x", "0,0", "1-0", "-1", "0-", ",", "0-4095"])),
            .. Maybe(random, 2, () => ArgvSlot.Option("--idle-poll-us", "400", Whole(0, 10_000), pool: ["-1", "10001", "0", "1e3"])),
            .. Maybe(random, 2, () => ArgvSlot.Option("--log-drops", "10", Whole(0, 1_024), pool: ["-1", "1025", "0", "1e3", "ten"])),
            .. Maybe(random, 2, () => ArgvSlot.Option("--watch-seconds", "5", WatchSeconds, pool: ["0", "0.05", "86401", "NaN", "Infinity", "-5", "1e9", "0.1"])),
            .. Maybe(random, 2, () => ArgvSlot.Option("--metrics", "127.0.0.1:9108", Metrics,
                pool: ["127.0.0.1", ":9108", "127.0.0.1:70000", "224.0.0.1:9108", "255.255.255.255:9108", "abc:1", "[::1]:x", "127.0.0.1:-1"])),
            .. Maybe(random, 3, () => ArgvSlot.Flag("--no-offload"))]));

    private ArgvSlot Snapshot(Random random, bool named, bool url = true)
    {
        var file = named ? policy.NamedV1 : random.Next(2) == 0 ? policy.V1 : policy.V2;
        string[] good = [policy.V1, policy.V2, policy.NamedV1, policy.GuestV2, Url("home"), Url("guest")];
        return ArgvSlot.Option("--snapshot", url && random.Next(4) == 0 ? Url(named ? "named" : "home") : file, v => good.Contains(v.Trim()) || v.Trim() == Url("named") ? null : false,
            // A blank path is refused as "cannot read ' ': ...".
            required: true, aliases: ["snapshot", "cannot read"], pool: [.. Unreadable, policy.PublicKey, "http://127.0.0.1:1/policies/home/snapshots/latest", Url("nosuch"), $"{policy.Host.Url}/policies/home/snapshots/99",
                "ftp://127.0.0.1/x", "http://[::1", "file:///etc/passwd",
                // Quoted back by the fetch's refusal (nothing answers; a refusal answers): escaped there too.
                "http://127.0.0.1:1/\u001b[2J", Url("\u001b]0;pwned\u0007")]);
    }

    private ArgvSlot Trust() => ArgvSlot.Option("--trust", policy.PublicKey, Existing(policy.PublicKey), required: true, pool: [.. Unreadable, PrivateKey, policy.V1],
        aliases: ["trusted key", "--trust"]);

    /// <summary>The address, resolver and name flags boot, replay and nft share.</summary>
    private static ArgvSlot[] Engine(Random random, bool named, bool replay) =>
    [
        .. Maybe(random, 2, () => ArgvSlot.Option("--uplink-address", random.Next(2) == 0 ? "198.51.100.2/24" : "2001:db8:2::2/64", UplinkAddress, repeatable: true,
            pool: [.. BadUplinks, "10.137.0.6", "198.51.100.2", "2001:db8:2::2"])),
        .. Maybe(random, 2, () => ArgvSlot.Option("--dns", "10.139.1.1", Resolver, repeatable: true,
            pool: ["224.0.0.1", "0.0.0.0", "fe80::1", "::ffff:10.139.1.1", "255.255.255.255", "10.139.1.1/32", "127.0.0.1", "::1"])),
        // A name no rule holds: replay refuses it, nft warns of it (one command line serves every version).
        .. (named && (replay || random.Next(2) == 0) ? Maybe(random, 1, () => ArgvSlot.Option("--resolve", "lab.example=192.0.2.5",
            replay ? OneOf("lab.example=192.0.2.5", "lab.example=", "lab.example=2001:db8::5") : v => v.IndexOf('=') > 0 && v[(v.IndexOf('=') + 1)..] is var a && (a.Length == 0 || IPAddress.TryParse(a, out _)) ? null : false,
            repeatable: true, pool: ["lab.example=", "nosuch.example=192.0.2.5", "=192.0.2.5", "lab.example=abc", "lab.example", "lab.example=2001:db8::5", "LAB.EXAMPLE=192.0.2.5"])) : []),
        .. Maybe(random, 3, () => ArgvSlot.Flag("--silent-drop")),
    ];

    private static ArgvSlot MaxFlows() => ArgvSlot.Option("--max-flows", "4096", Whole(1, 16_777_216), pool: ["0", "-1", "16777217", "1", "99999999999", "1e6"]);

    private static readonly string[] BadUplinks =
        // 10.137.0.5 is work's in every snapshot (10.137.0.6, personal's, only in home's: tried, not judged).
        ["10.137.0.5", "224.0.0.1", "127.0.0.1", "0.0.0.0", "fe80::1", "::ffff:198.51.100.2", "198.51.100.0/24", "198.51.100.255/24", "2001:db8:2::/64",
         "198.51.100.2/33", "2001:db8:2::2/129", "198.51.100.2/", "/24"];

    private static bool? UplinkAddress(string text)
    {
        if (BadUplinks.Contains(text))
        {
            return false;
        }
        var slash = text.IndexOf('/');
        var address = slash < 0 ? text : text[..slash];
        return IPAddress.TryParse(address, out _) && (slash < 0 || int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)) ? null : false;
    }

    private static bool? Resolver(string text) =>
        text is "224.0.0.1" or "0.0.0.0" or "fe80::1" or "::ffff:10.139.1.1" or "255.255.255.255" || !IPAddress.TryParse(text, out _) ? false : null;

    private static readonly string[] InterfacePool = ["", "all", "default", "..", ".", "a/b", "name-far-too-long", "eth 0", "eth0\n", "vif1.0", "é"];

    /// <summary>A TUN device boot makes: 1 to 15 of letters, digits, '-', '_', '.', and not a name the kernel keeps (all, default, ., ..).</summary>
    private static bool? Interface(string text) => InterfaceName().IsMatch(text) && text is not ("all" or "default" or "." or "..") ? null : false;

    /// <summary>An interface nft names, as Linux takes them: 1 to 15 printable characters but quote, backslash, slash, colon, blank and *, and not the kernel's own.</summary>
    private static bool? LinuxInterface(string text) =>
        text.Length is >= 1 and <= 15 && text is not ("all" or "default" or "." or "..") && text.All(c => c is > ' ' and < (char)127 and not ('"' or '\\' or '/' or ':' or '*')) ? null : false;

    /// <summary>CLIENT=DEVICE; a client the snapshot lacks is warned of, not refused (its device waits for a version that names it).</summary>
    private static bool? ClientDevice(string text, Func<string, bool?> device)
    {
        var equals = text.IndexOf('=');
        return equals > 0 && device(text[(equals + 1)..]) is null ? null : false;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex InterfaceName();

    private string[] OutputPool => [Path.Combine(Outputs, "other"), Path.Combine(Outputs, "é 名前\u001b"), Outputs, Missing, "/dev/null", "", capture, Path.Combine(Outputs, new string('n', 300))];

    private bool? Output(string text) =>
        text.Length == 0 || text == capture || Directory.Exists(text) || text == Missing || Path.GetFileName(text).Length > 255 ? false : null;

    private static bool? Cpus(string text)
    {
        var cpus = new List<int>();
        foreach (var part in text.Split(','))
        {
            var range = part.Split('-');
            // Blanks around a number and a '+' are taken, as int.TryParse takes them for every other number flag (--workers '2 ');
            // a '-' splits a range, so a negative number is still no CPU.
            if (range.Length > 2 || !range.All(r => int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            {
                return false;
            }
            var (low, high) = (int.Parse(range[0], NumberStyles.Integer, CultureInfo.InvariantCulture), int.Parse(range[^1], NumberStyles.Integer, CultureInfo.InvariantCulture));
            if (low > high || high >= Environment.ProcessorCount)
            {
                return false;
            }
            cpus.AddRange(Enumerable.Range(low, high - low + 1));
        }
        return cpus.Distinct().Count() == cpus.Count ? null : false;
    }

    private static bool? WatchSeconds(string text) =>
        double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var s) && s is >= 0.1 and <= 86_400 ? null : false;

    private static bool? Metrics(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65_535)
        {
            return false;
        }
        return text[..colon] is "224.0.0.1" or "255.255.255.255" or "abc" ? false : null;
    }

    private static ArgvSlot[] Maybe(Random random, int oneIn, Func<ArgvSlot> slot) => random.Next(oneIn) == 0 ? [slot()] : [];

    private static ArgvSlot[] Shuffled(Random random, ArgvSlot[] slots) => [.. slots.OrderBy(_ => random.Next())];
}
