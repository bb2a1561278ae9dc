using System.CommandLine;
using System.Runtime.InteropServices;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;

namespace Lethe.Firewall;

/// <summary>
/// `lethe-firewall boot`: verify, compile, attach to the TUN devices, forward until SIGTERM.
/// Everything it learns stays in memory; it writes nothing to disk, and logs go to stdout/stderr.
/// </summary>
public static class BootCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var flags = new EngineFlags();
        var deviceFlags = new DeviceFlags();
        var token = new Option<string?>("--token") { Description = "Bearer token for the control plane (env LETHE_TOKEN)" };
        var watch = new Option<double>("--watch-seconds") { Description = "How often to ask a control-plane URL for a newer snapshot", DefaultValueFactory = _ => 5 };
        var metrics = new Option<string?>("--metrics") { Description = "Serve counters in Prometheus text format on ADDRESS:PORT (off by default)" };
        var command = new Command("boot",
            "Boot from a verified snapshot and forward between the TUN devices until SIGTERM; SIGHUP re-reads --snapshot. Refuses anything that does not verify")
        {
            token, watch, metrics,
        };
        foreach (var option in flags.All.Concat(deviceFlags.All))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            var location = parse.GetValue(flags.Snapshot)!;
            var trust = parse.GetValue(flags.Trust)!;
            var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
            LiveFirewall firewall;
            string pem;
            IReadOnlyList<int>? cpus;
            int idlePoll;
            try
            {
                var verified = await SnapshotSource.Load(location, trust, bearer, ct);
                pem = await File.ReadAllTextAsync(trust, ct);
                var options = flags.Options(parse, seed: null);
                var devices = deviceFlags.Devices(parse, verified.Content.Clients.Select(c => c.Name).ToList());
                var workers = devices.Count == 0 ? 1 : parse.GetValue(deviceFlags.Workers);
                cpus = deviceFlags.Cpus(parse);
                idlePoll = deviceFlags.IdlePollMicroseconds(parse);
                firewall = LiveFirewall.Open(verified, options, devices, workers, offload: !parse.GetValue(deviceFlags.NoOffload));
                await output.WriteLineAsync(Describe("booted", verified, firewall.Policy.Compiled));
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
            catch (IOException e)
            {
                await error.WriteLineAsync($"error: cannot attach to the devices: {e.Message}");
                return 1;
            }

            using (firewall)
            {
                return await Run(firewall, parse, location, pem, bearer, TimeSpan.FromSeconds(parse.GetValue(watch)), parse.GetValue(metrics),
                    flags, cpus, idlePoll, output, error, ct);
            }
        });
        return command;
    }

    private static async Task<int> Run(LiveFirewall firewall, ParseResult parse, string location, string pem, string? bearer, TimeSpan watchEvery,
        string? metricsEndpoint, EngineFlags flags, IReadOnlyList<int>? cpus, int idlePoll, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var names = new NameRefresh(flags.Resolvers(parse).Select(r => new System.Net.IPEndPoint(r.ToIPAddress(), 53)).ToArray(), output, stop.Token);
        names.Start(firewall.Policy);
        void Swap(VerifiedSnapshot verified)
        {
            output.WriteLine(firewall.TrySwap(verified));
            names.Start(firewall.Policy);
        }
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(() => Reload(location, pem, bearer, Swap, error, stop.Token));
        });

        foreach (var device in firewall.Dataplane.Devices)
        {
            await output.WriteLineAsync(LiveFirewall.DescribeDevice(device));
        }
        firewall.Dataplane.Start(cpus, line => output.WriteLine(line), idlePoll);
        var workers = firewall.Dataplane.Workers;
        await output.WriteLineAsync(firewall.Dataplane.Devices.Count == 0
            ? "no devices (--client-tun, --uplink-tun): verifying and watching only"
            : $"forwarding on {firewall.Dataplane.Devices.Count} device(s) with {workers.Count} worker(s)" +
              (cpus is null ? "" : $" kept to CPU(s) {string.Join(",", workers.Select(w => w.Cpu))}") +
              (workers[0].IdlePoll is { } window ? $", polling idle queues up to {window.Max} µs" : ""));

        var tasks = new List<Task>();
        if (metricsEndpoint is not null)
        {
            var server = new MetricsServer(MetricsServer.ParseEndpoint(metricsEndpoint), () => MetricsText.Render(firewall.Dataplane));
            tasks.Add(server.Run(stop.Token));
            await output.WriteLineAsync($"metrics on http://{metricsEndpoint}/metrics");
        }
        if (SnapshotSource.IsUrl(location))
        {
            var watcher = new SnapshotWatcher(location, pem, bearer, watchEvery, error);
            tasks.Add(watcher.Run(() => firewall.Policy.Version, Swap, stop.Token));
        }

        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        var finished = await Task.WhenAny(stopped, firewall.Dataplane.Failed);
        var code = 0;
        if (finished == firewall.Dataplane.Failed)
        {
            await error.WriteLineAsync($"error: a worker stopped, so the firewall stops (closed): {firewall.Dataplane.Failed.Exception?.InnerException?.Message}");
            code = 1;
        }
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM arrived while a watch or a scrape was under way.
        }
        await names.Stop();
        firewall.Dispose();
        await output.WriteLineAsync("stopped; all state was in memory and is gone");
        return code;
    }

    /// <summary>SIGHUP: the snapshot is read and verified again from where boot read it; a newer version is swapped in.</summary>
    private static async Task Reload(string location, string pem, string? bearer, Action<VerifiedSnapshot> swap, TextWriter error, CancellationToken ct)
    {
        try
        {
            var bytes = await SnapshotSource.Fetch(location, bearer, ct);
            swap(SnapshotVerifier.Verify(bytes, pem));
        }
        catch (SnapshotVerificationException e)
        {
            await error.WriteLineAsync($"reload: refusing the snapshot at {location}, keeping the running version: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            // Stopping, or the control plane did not answer in time; the running version stays either way.
        }
    }

    public static string Describe(string what, VerifiedSnapshot verified, CompiledPolicy compiled) =>
        $"{what} policy {verified.Envelope.Policy} version {verified.Envelope.Version} (sha256 {verified.Envelope.ContentSha256[..16]}, key {verified.Envelope.KeyId}): " +
        $"{compiled.ClientCount} client(s), {Enumerable.Range(0, compiled.ClientCount).Sum(compiled.RuleCount)} rule(s)";
}
