// Fixtures for bench/firewall/run (issue 3, "Measure": the NativeAOT binary's resident memory and
// start-up time). It starts the real control plane (ControlPlaneHost: Kestrel, auth, Marten,
// PostgreSQL named by ConnectionStrings__Lethe) on a loopback port, builds two policies through its
// HTTP API, publishes them, and saves what the firewall boots from:
//
//   OUT/trust.pub        the control plane's public key (lethe-firewall --trust)
//   OUT/snap-1000.json   sealed snapshot: 10 clients x 100 Qubes rules (policy bench-1000)
//   OUT/snap-10.json     sealed snapshot: 2 clients x 5 rules, the size of scripts/demo (policy demo-10)
//   OUT/flows-1000.pcap  10,000 TCP SYNs, each a new flow that snap-1000 accepts (1,000 per client)
//   OUT/idle-1000.pcap   one such SYN per client (10 packets): the baseline for the same snapshot
//   OUT/flows-10.pcap    10,000 TCP SYNs that snap-10 accepts (5,000 per client)
//   OUT/idle-10.pcap     one SYN per client (2 packets)
//   OUT/repeat-N.pcap    10,000 SYNs like flows-N.pcap, but each client's first SYN over and over
//                        (retransmissions of one flow): as many packets, only one flow per client
//
//   dotnet run -c Release --project bench/firewall/Lethe.Bench.FirewallFixtures -- OUT
//
// With --policy NAME FILE it instead publishes the one policy FILE describes (see PolicyFile: lines
// `client NAME ADDRESS...`, each followed by that client's rules) and writes OUT/trust.pub and
// OUT/NAME.json, the sealed snapshot; bench/throughput/run uses it:
//
//   dotnet run -c Release --project bench/firewall/Lethe.Bench.FirewallFixtures -- --policy NAME FILE OUT

using Lethe.Bench.FirewallFixtures;
using Lethe.TestSupport.Host;

string outDir;
(string Name, string File)? single = null;
switch (args)
{
    case ["--policy", var name, var file, var dir]:
        single = (name, file);
        outDir = dir;
        break;
    case [var dir] when !dir.StartsWith('-'):
        outDir = dir;
        break;
    default:
        Console.Error.WriteLine("usage: Lethe.Bench.FirewallFixtures OUT-DIR | --policy NAME FILE OUT-DIR   (needs ConnectionStrings__Lethe)");
        return 2;
}
if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ConnectionStrings__Lethe")))
{
    Console.Error.WriteLine("error: set ConnectionStrings__Lethe (scripts/pg-start prints one), or run bench/firewall/run.");
    return 2;
}

// The server's log goes to stderr and only warnings: stdout carries the list of files made.
Environment.SetEnvironmentVariable("Logging__Console__LogToStandardErrorThreshold", "Trace");
Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");

Directory.CreateDirectory(outDir);
await using var host = await ControlPlaneHost.Start();
using var http = host.Client();
var api = new Api(http);
File.Copy(host.PublicKeyPath, Path.Combine(outDir, "trust.pub"), overwrite: true);

if (single is var (singleName, singleFile))
{
    var fleet = PolicyFile.Read(singleFile);
    var snapshot = await api.PublishFleet(singleName, fleet);
    var snapshotPath = Path.Combine(outDir, $"{singleName}.json");
    await File.WriteAllBytesAsync(snapshotPath, snapshot);
    Console.WriteLine($"{singleName}.json: policy {singleName}, {fleet.Count} client(s), {fleet.Sum(c => c.Rules.Count)} rule(s), {snapshot.Length} bytes");
    return 0;
}

var fleets = new[] { ("bench-1000", QubesFleet.Large(), 1_000), ("demo-10", QubesFleet.Demo(), 5_000) };
foreach (var (policy, fleet, flowsPerClient) in fleets)
{
    var rules = fleet.Sum(c => c.Rules.Count);
    var suffix = rules.ToString(System.Globalization.CultureInfo.InvariantCulture);
    var snapshot = await api.PublishFleet(policy, fleet);
    var snapshotPath = Path.Combine(outDir, $"snap-{suffix}.json");
    await File.WriteAllBytesAsync(snapshotPath, snapshot);
    Console.WriteLine($"snap-{suffix}.json: policy {policy}, {fleet.Count} clients, {rules} rules, {snapshot.Length} bytes");

    var sources = fleet.Select(c => c.Addresses[0]).ToArray();
    var flows = SynCapture.Write(Path.Combine(outDir, $"flows-{suffix}.pcap"), sources, flowsPerClient);
    var idle = SynCapture.Write(Path.Combine(outDir, $"idle-{suffix}.pcap"), sources, 1);
    var repeated = SynCapture.Write(Path.Combine(outDir, $"repeat-{suffix}.pcap"), sources, 1, flowsPerClient);
    Console.WriteLine($"  flows-{suffix}.pcap: {flows} SYNs, {flows} flows; idle-{suffix}.pcap: {idle} SYNs; repeat-{suffix}.pcap: {repeated} SYNs, {sources.Length} flows");
}
return 0;
