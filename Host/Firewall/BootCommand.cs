using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;

namespace Lethe.Firewall;

/// <summary>
/// `lethe-firewall boot`: verify, compile, attach to the TUN devices, forward until SIGTERM or SIGINT.
/// Everything it learns stays in memory; it writes nothing to disk, and logs go to stdout/stderr.
/// </summary>
public static class BootCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var flags = new EngineFlags();
        var deviceFlags = new DeviceFlags();
        var token = new Option<string?>("--token") { Description = "Bearer token for the control plane (env LETHE_TOKEN)" };
        var watch = new Option<double>("--watch-seconds") { Description = "How often to ask a control-plane URL for a newer snapshot, in seconds (0.1..86400)", DefaultValueFactory = _ => 5 };
        var metrics = new Option<string?>("--metrics")
        {
            Description = "Serve counters in Prometheus text format on ADDRESS:PORT at /metrics, and the tracked flows at /flows (off by default)",
        };
        var logDrops = new Option<int>("--log-drops")
        {
            Description = $"Log dropped packets to stdout, at most N lines a second (1..{DropLogPrinter.MaxPerSecond}), the rest counted in one more line; off by default (0)",
        };
        var command = new Command("boot",
            "Boot from a verified snapshot and forward between the TUN devices until SIGTERM or SIGINT; SIGHUP re-reads --snapshot. Refuses anything that does not verify")
        {
            token, watch, metrics, logDrops,
        };
        foreach (var option in flags.All.Concat(deviceFlags.All))
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, ct) =>
        {
            // Queued: a log nobody reads, or one that cannot be written, never holds up a swap, the
            // watch or shutdown, nor ends the firewall. Drained for at most 2 s each on the way out.
            using var output = new QueuedLineWriter(OwnConsoleWriter.For(stdout), "stdout");
            using var error = new QueuedLineWriter(OwnConsoleWriter.For(stderr), "stderr");
            // Registered first: the default action of SIGHUP ends the process, and a reload asked for
            // while boot still fetches (up to 15 s) must not. One before forwarding starts reloads once it does.
            using var hangUp = new HangUp(error);
            // SIGTERM and SIGINT stop it cleanly from here on, while the snapshot is still on its way as
            // once it forwards: System.CommandLine's own handling would end it with 143 and no word.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            // Ctrl-C in a terminal stops it as cleanly as a service manager's SIGTERM does.
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            var location = parse.GetValue(flags.Snapshot)!;
            var trust = parse.GetValue(flags.Trust)!;
            var bearer = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("LETHE_TOKEN");
            LiveFirewall firewall;
            MetricsServer? metricsServer = null;
            string pem;
            IReadOnlyList<int>? cpus;
            int? workers = null;
            int idlePoll;
            int dropLines;
            TimeSpan watchEvery;
            try
            {
                // The flags the snapshot has no say in, first: a typing error is told at once (exit 2), not
                // after a fetch of up to 15 s, nor hidden behind a refusal of the snapshot.
                deviceFlags.WorkerCount(parse);
                flags.MaxFlowCount(parse);
                cpus = deviceFlags.Cpus(parse);
                idlePoll = deviceFlags.IdlePollMicroseconds(parse);
                watchEvery = WatchInterval(parse.GetValue(watch));
                dropLines = DropLinesPerSecond(parse.GetValue(logDrops));
                var metricsAt = parse.GetValue(metrics) is { } endpoint ? MetricsServer.ParseEndpoint(endpoint) : null;
                flags.CheckAddresses(parse);
                deviceFlags.Devices(parse, clients: null, warnings: []);
                // Read once, for boot, every reload and the watch: a key given through a pipe reads empty the second time.
                // On a thread of the pool, given up at SIGTERM: opening or reading a pipe whose writer never comes
                // blocks in the kernel whatever the token says, and would keep a stopped firewall alive.
                pem = await Task.Run(() => SnapshotSource.ReadTrustedKey(trust, stop.Token), stop.Token).WaitAsync(stop.Token);
                var verified = await Task.Run(() => SnapshotSource.LoadWithKey(location, bearer, pem, stop.Token), stop.Token).WaitAsync(stop.Token);
                var options = flags.Options(parse, seed: null, verified.Content);
                var deviceWarnings = new List<string>();
                var devices = deviceFlags.Devices(parse, verified.Content.Clients.Select(c => c.Name).ToList(), deviceWarnings);
                // With no device boot runs one worker whatever --workers says; a flow bound too large names only the flows then.
                workers = devices.Count == 0 ? null : parse.GetValue(deviceFlags.Workers);
                firewall = LiveFirewall.Open(verified, options, devices, workers ?? 1, offload: !parse.GetValue(deviceFlags.NoOffload));
                if (metricsAt is not null)
                {
                    var dataplane = firewall.Dataplane;
                    try
                    {
                        var policyName = firewall.PolicyName;
                        metricsServer = MetricsServer.Listen(metricsAt, () => MetricsText.Render(dataplane), () => FlowsText.Render(dataplane, policyName));
                    }
                    catch (SocketException e)
                    {
                        firewall.Dispose();
                        await error.WriteLineAsync($"error: cannot serve metrics on {metricsAt}: {e.Message}");
                        return 1;
                    }
                }
                await output.WriteLineAsync(Describe("booted", verified, firewall.Policy.Compiled));
                foreach (var line in deviceWarnings)
                {
                    await error.WriteLineAsync(line);
                }
                if (DnsTargetWarning(firewall.Policy.Compiled) is { } warning)
                {
                    await error.WriteLineAsync(warning);
                }
                if (hangUp.IgnoredAtStart)
                {
                    await error.WriteLineAsync("warning: SIGHUP is ignored by this process (started under nohup?), so it cannot re-read --snapshot; " +
                        "start it without nohup (setsid, or a service manager) to reload by signal" +
                        (SnapshotSource.IsUrl(location) ? "; the watch of the URL still swaps in newer versions" : ""));
                }
            }
            catch (Exception e) when (e is SnapshotVerificationException or PolicyTooLargeException)
            {
                await error.WriteLineAsync($"error: refusing to boot: {e.Message}");
                return 1;
            }
            catch (FlagException e)
            {
                // A flag's refusal quotes what was typed: escaped, and a pasted blob by its start and length.
                await error.WriteLineAsync($"error: {Lethe.Hosts.ArgvText.Shown(e.Message, parse.Tokens.Select(t => t.Value))}");
                return 2;
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"error: cannot attach to the devices: {Lethe.Hosts.ArgvText.Shown(e.Message, parse.Tokens.Select(t => t.Value))}");
                return 1;
            }
            catch (OutOfMemoryException)
            {
                await error.WriteLineAsync($"error: {flags.TooManyFlows(parse, workers)}");
                return 2;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // SIGTERM or SIGINT while the snapshot was still on its way: asked to stop, it stops, as it would once forwarding.
                await output.WriteLineAsync("stopped before booting; nothing was forwarded");
                return 0;
            }

            using (firewall)
            using (metricsServer)
            {
                return await Run(firewall, parse, location, pem, bearer, watchEvery, metricsServer, parse.GetValue(metrics),
                    flags, cpus, idlePoll, dropLines, hangUp, output, error, stop);
            }
        });
        return command;
    }

    /// <remarks>At least a tenth of a second: more often only loads the control plane (and under a millisecond the watch's timer refuses to run).</remarks>
    private static TimeSpan WatchInterval(double seconds) =>
        seconds is >= 0.1 and <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new FlagException($"--watch-seconds: {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} is outside 0.1..86400: how often to ask the control plane, in seconds");

    /// <exception cref="FlagException">Outside 0..<see cref="DropLogPrinter.MaxPerSecond"/>.</exception>
    private static int DropLinesPerSecond(int lines) =>
        lines is >= 0 and <= DropLogPrinter.MaxPerSecond
            ? lines
            : throw new FlagException($"--log-drops: {lines} is outside 0..{DropLogPrinter.MaxPerSecond}: the most dropped packets to log a second (0: none)");

    private static async Task<int> Run(LiveFirewall firewall, ParseResult parse, string location, string pem, string? bearer, TimeSpan watchEvery,
        MetricsServer? metricsServer, string? metricsEndpoint, EngineFlags flags, IReadOnlyList<int>? cpus, int idlePoll, int dropLines, HangUp hangUp,
        TextWriter output, TextWriter error, CancellationTokenSource stop)
    {
        var names = new NameRefresh(flags.Resolvers(parse).Select(r => new System.Net.IPEndPoint(r.ToIPAddress(), 53)).ToArray(), output, stop.Token);
        // A drop rule's name without an answer blocks its client: forwarding starts once the names
        // were asked (the clients' first packets wait in the devices' queues), or after the bound.
        await Task.WhenAny(names.Start(firewall.Policy.Hosts), Task.Delay(LiveFirewall.NewNamesWait, stop.Token));
        var swapping = new Lock();
        void Swap(VerifiedSnapshot verified)
        {
            // The watch and a reload may swap at once: each swap and the refresher of the policy it installed go together.
            lock (swapping)
            {
                output.WriteLine(firewall.TrySwap(verified, names.Start));
            }
        }
        hangUp.Handle(() => Reload(location, pem, bearer, Swap, error, stop.Token));

        foreach (var device in firewall.Dataplane.Devices)
        {
            await output.WriteLineAsync(LiveFirewall.DescribeDevice(device));
        }
        var drops = dropLines > 0 && firewall.Dataplane.Devices.Count > 0
            ? new DropLogPrinter(firewall.Dataplane.KeepDropLogs(dropLines), dropLines, output)
            : null;
        firewall.Dataplane.Start(cpus, line => output.WriteLine(line), idlePoll);
        var workers = firewall.Dataplane.Workers;
        await output.WriteLineAsync(firewall.Dataplane.Devices.Count == 0
            ? "no devices (--client-tun, --uplink-tun): verifying and watching only"
            : $"forwarding on {firewall.Dataplane.Devices.Count} device(s) with {workers.Count} worker(s)" +
              (cpus is null ? "" : $" kept to CPU(s) {string.Join(",", workers.Select(w => w.Cpu))}") +
              (workers[0].IdlePoll is { } window ? $", polling idle queues up to {window.Max} µs" : "") +
              (firewall.Dataplane.SteersQueues ? ", each packet queued for the worker that owns its flow" : "") +
              (drops is null ? "" : $", logging dropped packets (at most {dropLines} a second)"));

        // Neither serving metrics nor watching is worth stopping the forwarding for: a failure is logged when it happens.
        async Task Logged(Task task, string what)
        {
            try
            {
                await task;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // SIGTERM arrived while a watch or a scrape was under way.
            }
            catch (Exception e)
            {
                await error.WriteLineAsync($"error: {what} stopped, forwarding goes on: {e.Message}");
            }
        }
        var tasks = new List<Task>();
        if (metricsServer is not null)
        {
            tasks.Add(Logged(metricsServer.Run(stop.Token), "serving metrics"));
            await output.WriteLineAsync($"metrics on http://{metricsEndpoint}/metrics, the tracked flows on http://{metricsEndpoint}/flows");
        }
        if (drops is not null)
        {
            tasks.Add(Logged(drops.Run(stop.Token), "the drop log"));
        }
        if (SnapshotSource.IsUrl(location))
        {
            var watcher = new SnapshotWatcher(location, pem, bearer, watchEvery, error);
            tasks.Add(Logged(watcher.Run(() => (firewall.Policy.Version, firewall.ContentSha256), Swap, stop.Token), "the snapshot watch"));
        }

        var stopped = Task.Delay(Timeout.Infinite, stop.Token);
        var finished = await Task.WhenAny(stopped, firewall.Dataplane.Failed);
        var code = 0;
        if (finished == firewall.Dataplane.Failed)
        {
            await error.WriteLineAsync($"error: a worker stopped, so the firewall stops (closed): {firewall.Dataplane.Failed.Exception?.InnerException?.Message}");
            code = 1;
        }
        // Forwarding ends first: a watch in the middle of a swap, or a scrape, must not keep a firewall
        // whose worker died forwarding on its other queues while the tasks wind down.
        firewall.Dataplane.Stop();
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
        // The workers have stopped: what they dropped in their last second is logged too.
        drops?.Print();
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
            swap(await SnapshotSource.LoadWithKey(location, bearer, pem, ct));
        }
        catch (SnapshotVerificationException e)
        {
            await error.WriteLineAsync($"reload: refusing the snapshot at {Lethe.Hosts.ArgvText.Word(location)}, keeping the running version: {e.Message}");
        }
        catch (OperationCanceledException)
        {
            // Stopping; the running version stays.
        }
        catch (Exception e)
        {
            await error.WriteLineAsync(Lethe.Hosts.ArgvText.Shown($"reload: could not take the snapshot at {location}, keeping the running version: {e.Message}", [location]));
        }
    }

    /// <summary>
    /// A warning when rules use specialtarget=dns and no --dns resolver was given: they match
    /// nothing then, where the control plane's publish-time tests judged them with its resolvers.
    /// </summary>
    public static string? DnsTargetWarning(CompiledPolicy compiled)
    {
        var rules = compiled.DnsTargetRules();
        return rules == 0 || compiled.DnsResolvers.Count > 0
            ? null
            : $"warning: {rules} rule(s) use specialtarget=dns and no --dns resolver was given, so they match nothing; give --dns with the resolvers the clients use";
    }

    public static string Describe(string what, VerifiedSnapshot verified, CompiledPolicy compiled) =>
        $"{what} policy {verified.Envelope.Policy} version {verified.Envelope.Version} (sha256 {verified.Envelope.ContentSha256[..16]}, key {verified.Envelope.KeyId}): " +
        $"{compiled.ClientCount} client(s), {Enumerable.Range(0, compiled.ClientCount).Sum(compiled.RuleCount)} rule(s)";
}
