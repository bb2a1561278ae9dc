// Control-plane measurements for issue 2 ("Measure"): publish latency, rule changes per second
// through the HTTP API with concurrent clients. The real control plane (ControlPlaneHost) runs in
// this process on a loopback port, over a fresh migrated database on the PostgreSQL server named
// by ConnectionStrings__Lethe; every number is an HTTP round trip through Kestrel, auth, the
// mediator pipeline, Marten and PostgreSQL. End-to-end start-up time of `lethe serve` is measured
// by bench/startup; this program only breaks it into phases (StartupPhases, in child processes).
//
//   dotnet run -c Release --project bench/Lethe.Bench.ControlPlane -- [options]
//   bench/control-plane [options]          (starts and stops its own PostgreSQL)

using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Lethe.Bench.ControlPlane;
using Lethe.TestSupport.Host;
using Npgsql;

if (args is [StartupPhases.ChildVerb, var childKeys])
{
    // The connection string comes by the environment: a command line, password and all, is any local user's to read.
    return await StartupPhases.Child(Environment.GetEnvironmentVariable(StartupPhases.ChildConnectionVariable)!, childKeys);
}

// bench/control-plane asks this before it starts PostgreSQL, so a mistyped option costs no server start.
var checkOnly = args is [Options.CheckVerb, ..];
var options = Options.Parse(checkOnly ? args[1..] : args);
if (options is { Help: false } && checkOnly)
{
    return 0;
}
if (options is { Help: true })
{
    // Asked for: the answer, on stdout, and a success, as bench/throughput/run --help and bench/startup --help.
    Console.Out.Write(Options.Usage);
    return 0;
}
if (options is null)
{
    Console.Error.Write(Options.Usage);
    return 2;
}
if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ConnectionStrings__Lethe")))
{
    Console.Error.WriteLine("error: set ConnectionStrings__Lethe, or run bench/control-plane, which starts a throwaway PostgreSQL.");
    return 2;
}

// The server's console log goes to stderr, so stdout carries only the report. The server still
// logs what `lethe serve` would (appsettings.json beside the binary), unless --quiet-marten.
Environment.SetEnvironmentVariable("Logging__Console__LogToStandardErrorThreshold", "Trace");
if (options.QuietMarten)
{
    Environment.SetEnvironmentVariable("Logging__Console__LogLevel__Marten", "None");
    // Lost races are logged under Lethe's own Marten command log, not Marten's category.
    Environment.SetEnvironmentVariable("Logging__Console__LogLevel__Lethe.Infrastructure.Marten", "None");
}
var log = Console.Error;
log.WriteLine("starting the control plane over a fresh database...");
await using var host = await ControlPlaneHost.Start(confirmCheckSeconds: 5);
log.WriteLine($"  listening on {host.Url}");

var machine = await Describe(host);
var loadBefore = LoadAverage();
var publishes = new List<PublishResult>();
var changes = new List<ChangeRun>();
Stats[]? phases = null;
LongLogResult? longLog = null;
ListResult? listing = null;

if (options.Only is null or "publish")
{
    log.WriteLine("publish latency...");
    foreach (var size in options.Sizes)
    {
        publishes.Add(await PublishLatency.Run(host, options.Clients, size, options.Warmup, options.Publishes, log));
    }
}
if (options.Only is null or "changes")
{
    log.WriteLine("rule changes per second...");
    var duration = TimeSpan.FromSeconds(options.Seconds);
    var w = options.Workers;
    changes.Add(await RuleChanges.Run(host, "1 client, own policy (baseline)", ["solo-0"], duration, 20, log));
    changes.Add(await RuleChanges.Run(host, $"{w} clients, each its own policy",
        Enumerable.Range(0, w).Select(i => $"own-{i}").ToArray(), duration, 10, log));
    changes.Add(await RuleChanges.Run(host, $"{w} clients, one shared policy, no If-Match",
        Enumerable.Repeat("shared", w).ToArray(), duration, 10, log));
}

if (options.Only is null or "startup-phases")
{
    log.WriteLine("start-up phases (fresh child processes)...");
    phases = await StartupPhases.Run(options.Startups, log);
}

if (options.Only is "long-log")
{
    log.WriteLine("a long log...");
    longLog = await LongLog.Run(host, options.Events, options.Rules, options.Repeats, log);
}
if (options.Only is "long-log" or "list")
{
    log.WriteLine("the policy list...");
    listing = await LongLog.RunList(host, options.Policies, options.Rules, options.Repeats, log);
}

var report = Report(options, machine, $"{loadBefore} at the start, {LoadAverage()} at the end", publishes, changes, phases, longLog, listing);
Console.Write(report);
if (options.Out is { } file)
{
    await File.WriteAllTextAsync(file, report);
    log.WriteLine($"report written to {file}");
}
return changes.Any(c => c.Other > 0 || c.RulesStored != c.RulesExpected) ? 1 : 0;

static async Task<string> Describe(ControlPlaneHost host)
{
    await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("select current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')",
        connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription} " +
           $"({(GCSettings.IsServerGC ? "server" : "workstation")} GC), PostgreSQL {reader.GetString(0)} on loopback " +
           $"(fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}); client and server share the machine";
}

// Other work on the machine skews every number here; the report says how busy it was.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string Report(Options options, string machine, string load, List<PublishResult> publishes, List<ChangeRun> changes, Stats[]? phases,
    LongLogResult? longLog, ListResult? listing)
{
    var s = new StringWriter(CultureInfo.InvariantCulture);
    s.WriteLine();
    s.WriteLine("## Lethe control plane: measurements");
    s.WriteLine();
    s.WriteLine($"Machine: {machine}.");
    s.WriteLine();
    s.WriteLine($"Load average (1, 5, 15 min): {load}.");
    s.WriteLine();
    s.WriteLine($"Server log: {(options.QuietMarten ? "Marten's log off (--quiet-marten)" : "as `lethe serve` logs (appsettings.json), to stderr")}.");
    if (publishes.Count > 0)
    {
        s.WriteLine();
        s.WriteLine($"### Publish latency (POST /policies/{{p}}/publish: draft to sealed, signed, stored; {options.Publishes} publishes after {options.Warmup} warm-up, one rule replaced before each)");
        s.WriteLine();
        s.WriteLine("| policy | rules | snapshot bytes | publish median ms | p95 ms | min ms | max ms | replace-rule median ms | import of one client's rules, median ms |");
        s.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in publishes)
        {
            s.WriteLine($"| {p.Clients} clients x {p.RulesPerClient} rules | {p.Clients * p.RulesPerClient:N0} | {p.SnapshotBytes:N0} | " +
                        $"{Stats.Ms(p.Publish.Median)} | {Stats.Ms(p.Publish.P95)} | {Stats.Ms(p.Publish.Min)} | {Stats.Ms(p.Publish.Max)} | " +
                        $"{Stats.Ms(p.Replace.Median)} | {Stats.Ms(p.ImportPerClient.Median)} |");
        }
    }
    if (changes.Count > 0)
    {
        s.WriteLine();
        s.WriteLine($"### Rule changes through the HTTP API (POST /policies/{{p}}/clients/{{c}}/rules, {options.Seconds} s per run, each worker its own HttpClient)");
        s.WriteLine();
        s.WriteLine("| run | successful changes/s | successes | 409 conflicts | other errors | success p50 ms | p95 ms | p99 ms | attempts/s | rules stored = successes |");
        s.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in changes)
        {
            var ok = c.OkLatency;
            s.WriteLine($"| {c.Name} | {c.OkPerSecond:F0} | {c.Ok:N0} | {c.Conflicts:N0} | {c.Other} | " +
                        $"{(ok is null ? "-" : Stats.Ms(ok.Median))} | {(ok is null ? "-" : Stats.Ms(ok.P95))} | {(ok is null ? "-" : Stats.Ms(ok.P99))} | " +
                        $"{c.AttemptsPerSecond:F0} | {(c.RulesStored == c.RulesExpected ? "yes" : "NO")} ({c.RulesStored:N0}) |");
        }
        if (changes.FirstOrDefault(c => c.FirstError is not null) is { } failed)
        {
            s.WriteLine();
            s.WriteLine($"First unexpected error ({failed.Name}): {failed.FirstError}");
        }
    }
    if (phases is not null)
    {
        s.WriteLine();
        s.WriteLine($"### Start-up phases (in-process breakdown; {phases[0].Count} fresh processes after one unmeasured; end-to-end `lethe serve` numbers come from bench/startup)");
        s.WriteLine();
        s.WriteLine("| phase | median ms | min ms | max ms |");
        s.WriteLine("|---|---:|---:|---:|");
        for (var i = 0; i < phases.Length; i++)
        {
            s.WriteLine($"| {StartupPhases.Names[i]} | {Stats.Ms(phases[i].Median)} | {Stats.Ms(phases[i].Min)} | {Stats.Ms(phases[i].Max)} |");
        }
    }
    if (longLog is not null || listing is not null)
    {
        s.WriteLine();
        s.WriteLine($"### A long log ({options.Repeats} calls of each after one warm-up)");
        s.WriteLine();
        s.WriteLine("| call | log | median ms | p95 ms | min ms | max ms |");
        s.WriteLine("|---|---|---:|---:|---:|---:|");
        void Row(string call, string what, Stats t) =>
            s.WriteLine($"| {call} | {what} | {Stats.Ms(t.Median)} | {Stats.Ms(t.P95)} | {Stats.Ms(t.Min)} | {Stats.Ms(t.Max)} |");
        if (longLog is { } l)
        {
            var what = $"{l.Events:N0} rule changes, {l.Rules:N0} rules";
            Row("show, the stored draft (GET /policies/{p})", what, l.Show);
            Row("show --at (GET /policies/{p}?at=), just after version 1", what, l.ShowAtStart);
            Row("show --at, at the log's end", what, l.ShowAtEnd);
            Row("rollback (POST /rollback)", what, l.Rollback);
            Row("publish (POST /publish)", what, l.Publish);
        }
        if (listing is { } p)
        {
            Row("policy list (GET /policies)", $"{p.Policies} policies x {p.RulesEach:N0} rules", p.List);
        }
    }
    return s.ToString();
}

internal sealed record Options(string? Only, int Clients, int[] Sizes, int Publishes, int Warmup, int Workers, double Seconds, int Startups, string? Out, bool QuietMarten,
    int Events = 50_000, int Policies = 200, int Rules = 1_000, int Repeats = 10, bool Help = false)
{
    public const string Usage = """
        usage: bench/control-plane [options]      (starts and stops a throwaway PostgreSQL, as root, unless ConnectionStrings__Lethe is set)
           or: dotnet run -c Release --project bench/Lethe.Bench.ControlPlane -- [options]   (needs ConnectionStrings__Lethe)
          [--only publish|changes|startup-phases|long-log|list] [--clients 10] [--sizes 100,1000]
          [--publishes 20] [--warmup 3] [--workers 8] [--seconds 10]
          [--startups 5] [--events 50000] [--policies 200] [--rules 1000]
          [--repeats 10] [--out FILE.md] [--quiet-marten]
        --quiet-marten turns off Marten's log (a lost race is one information line per 409).
        long-log and list run only when named: long-log builds one policy of --rules rules and a log of
        --events rule changes (show --at, rollback, publish) and lists --policies policies of --rules rules
        (GET /policies); list does only the latter. Each call is timed --repeats times after one warm-up.
        ConnectionStrings__Lethe names a PostgreSQL server where it may create and drop a database.

        """;

    /// <summary>First argument of a run that only checks the rest and exits 0 or 2 (with --help: prints the usage, exits 0).</summary>
    public const string CheckVerb = "check-options";

    public static Options? Parse(string[] args)
    {
        var o = new Options(null, 10, [100, 1000], 20, 3, 8, 10, 5, null, false);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            // Counts of 0 would end the run after PostgreSQL started, with no samples to report.
            int Int(int least = 1)
            {
                var name = args[i];
                var text = Next();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= least
                    ? n
                    : throw new ArgumentException($"{name} takes a whole number of at least {least}, not {text}");
            }
            if (args[i] is "--help" or "-h")
            {
                return o with { Help = true };
            }
            try
            {
                o = args[i] switch
                {
                    "--only" => o with { Only = Next() is var v && v is "publish" or "changes" or "startup-phases" or "long-log" or "list" ? v
                        : throw new ArgumentException("--only publish|changes|startup-phases|long-log|list") },
                    "--clients" => o with { Clients = Int() },
                    "--sizes" => o with { Sizes = ParseSizes(Next()) },
                    "--publishes" => o with { Publishes = Int() },
                    "--warmup" => o with { Warmup = Int(least: 0) },
                    "--workers" => o with { Workers = Int() },
                    "--seconds" => o with { Seconds = ParseSeconds(Next()) },
                    "--startups" => o with { Startups = Int() },
                    "--events" => o with { Events = Int() },
                    "--policies" => o with { Policies = Int() },
                    "--rules" => o with { Rules = Int() },
                    "--repeats" => o with { Repeats = Int() },
                    "--out" => o with { Out = Next() },
                    "--quiet-marten" => o with { QuietMarten = true },
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return null;
            }
        }
        return o;
    }

    private static int[] ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(','))
        {
            sizes.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                ? n
                : throw new ArgumentException($"--sizes takes rules per client of at least 1, comma-separated, not {text}"));
        }
        return [.. sizes];
    }

    private static double ParseSeconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && double.IsFinite(seconds)
            ? seconds
            : throw new ArgumentException($"--seconds takes a time above 0, not {text}");
}
