using System.CommandLine;
using System.Runtime.InteropServices;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Engine;

namespace Lethe.Firewall;

/// <summary>
/// `lethe-firewall boot`: verify, compile, run. Everything it learns stays in memory; it writes
/// nothing to disk, and logs go to stdout/stderr. Packets reach the engine through the devices of
/// the live data plane (next issue) or through `replay`.
/// </summary>
public static class BootCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var flags = new EngineFlags();
        var token = new Option<string?>("--token") { Description = "Bearer token for the control plane (env LETHE_TOKEN)" };
        var watch = new Option<double>("--watch-seconds") { Description = "How often to ask a control-plane URL for a newer snapshot", DefaultValueFactory = _ => 5 };
        var metrics = new Option<string?>("--metrics") { Description = "Serve counters in Prometheus text format on ADDRESS:PORT (off by default)" };
        var command = new Command("boot", "Boot from a verified snapshot and run until SIGTERM; refuses anything that does not verify") { token, watch, metrics };
        foreach (var option in flags.All)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            var location = parse.GetValue(flags.Snapshot)!;
            var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
            PacketEngine engine;
            string pem;
            try
            {
                var verified = await SnapshotSource.Load(location, parse.GetValue(flags.Trust)!, bearer, ct);
                pem = await File.ReadAllTextAsync(parse.GetValue(flags.Trust)!, ct);
                var options = flags.Options(parse, seed: null);
                engine = new PacketEngine(Activate(verified, options, null), options);
                await output.WriteLineAsync(Describe("booted", verified, engine.Policy.Compiled));
            }
            catch (SnapshotVerificationException e)
            {
                await error.WriteLineAsync($"error: refusing to boot: {e.Message}");
                return 1;
            }
            catch (FlagException e)
            {
                await error.WriteLineAsync($"error: {e.Message}");
                return 2;
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            var tasks = new List<Task>();
            var resolvers = flags.Resolvers(parse).Select(r => new System.Net.IPEndPoint(r.ToIPAddress(), 53)).ToArray();
            var names = new NameRefresh(resolvers, output, stop.Token);
            names.Start(engine.Policy);
            if (parse.GetValue(metrics) is { } endpoint)
            {
                var server = new MetricsServer(MetricsServer.ParseEndpoint(endpoint), () => MetricsText.Render(engine));
                tasks.Add(server.Run(stop.Token));
                await output.WriteLineAsync($"metrics on http://{endpoint}/metrics");
            }
            if (location.StartsWith("http://", StringComparison.Ordinal) || location.StartsWith("https://", StringComparison.Ordinal))
            {
                var lockObject = new object();
                var watcher = new SnapshotWatcher(location, pem, bearer, TimeSpan.FromSeconds(parse.GetValue(watch)), error);
                tasks.Add(watcher.Run(() => engine.Policy.Version, verified =>
                {
                    lock (lockObject)
                    {
                        var options = flags.Options(parse, seed: null);
                        var next = Activate(verified, options, engine.Policy.Hosts);
                        var cut = engine.Swap(next, Environment.TickCount64);
                        names.Start(next);
                        output.WriteLine($"{Describe("swapped to", verified, next.Compiled)}; cut {cut} flow(s) the new policy no longer allows");
                    }
                }, stop.Token));
            }
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            try
            {
                await Task.WhenAll(tasks);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM arrived while a watch or a scrape was under way.
            }
            await names.Stop();
            await output.WriteLineAsync("stopped; all state was in memory and is gone");
            return 0;
        });
        return command;
    }

    private static ActivePolicy Activate(VerifiedSnapshot verified, EngineOptions options, HostTable? previousHosts)
    {
        var compiled = CompiledPolicy.Compile(verified.Content, options.DnsResolvers);
        var hosts = compiled.CreateHostTable();
        if (previousHosts is not null)
        {
            hosts.CopyFrom(previousHosts);
        }
        return new ActivePolicy(compiled, verified.Envelope.Version, hosts);
    }

    private static string Describe(string what, VerifiedSnapshot verified, CompiledPolicy compiled) =>
        $"{what} policy {verified.Envelope.Policy} version {verified.Envelope.Version} (sha256 {verified.Envelope.ContentSha256[..16]}, key {verified.Envelope.KeyId}): " +
        $"{compiled.ClientCount} client(s), {Enumerable.Range(0, compiled.ClientCount).Sum(compiled.RuleCount)} rule(s)";
}
