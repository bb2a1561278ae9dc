using Lethe.Domain.Snapshots;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// The running firewall: the data plane over its devices, one engine per worker, and the one way a
/// new policy gets in (<see cref="TrySwap"/>, from the snapshot watch or SIGHUP).
/// </summary>
public sealed class LiveFirewall : IDisposable
{
    private static readonly TimeSpan SwapTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a swap waits for the first answers about names the running policy did not have: two
    /// tries of two seconds per family (<see cref="Lethe.PacketPath.Dns.DnsResolver"/>) and some slack.
    /// </summary>
    public static readonly TimeSpan NewNamesWait = TimeSpan.FromSeconds(5);

    private readonly EngineOptions _options;
    private readonly Lock _swapping = new();

    private LiveFirewall(Dataplane dataplane, EngineOptions options, string policyName, string contentSha256)
    {
        Dataplane = dataplane;
        _options = options;
        PolicyName = policyName;
        ContentSha256 = contentSha256;
    }

    public Dataplane Dataplane { get; }

    /// <summary>
    /// The policy it booted. The control plane signs every policy with one key and numbers each
    /// policy's versions on its own, so only the name tells another policy's newer-numbered snapshot
    /// (a wrong file before SIGHUP, a wrong answer at the watched URL) from this one's.
    /// </summary>
    public string PolicyName { get; }

    /// <summary>The content hash of the snapshot it runs (the one booted, or the last one swapped in).</summary>
    public string ContentSha256 { get; private set; }

    /// <summary>Worker 0's copy of the running policy; every worker runs the same snapshot.</summary>
    public ActivePolicy Policy => Dataplane.Workers[0].Engine.Policy;

    /// <summary>
    /// Opens (or attaches to) every device with one queue per worker, and builds one engine per
    /// worker over its shard of the connection table. Nothing runs until <see cref="Dataplane"/> starts.
    /// </summary>
    /// <exception cref="IOException">A device could not be opened; the ones already open are closed.</exception>
    public static LiveFirewall Open(VerifiedSnapshot snapshot, EngineOptions options, IReadOnlyList<(string Device, string? Client)> devices,
        int workers, bool offload)
    {
        var opened = new List<AttachedDevice>();
        try
        {
            var tunOptions = new TunOptions { Queues = workers, MultiQueue = true, VirtioHeader = offload };
            foreach (var (name, client) in devices)
            {
                opened.Add(new AttachedDevice(TunDevice.Open(name, tunOptions), client));
            }
            var shards = new FlowShards(workers, options.Seed ?? (ulong)Random.Shared.NextInt64());
            var shared = options with
            {
                Shards = shards,
                // Each shard counts its own flows and each worker its own answers: the bounds and the
                // answer rate are split between them. The burst is not, so that a few refusals at once
                // are all answered however their flows fall on the workers.
                Limits = options.Limits with
                {
                    Capacity = Math.Max(1, options.Limits.Capacity / workers),
                    PerClientQuota = Math.Max(1, options.Limits.PerClientQuota / workers),
                },
                RepliesPerSecond = Math.Max(1, options.RepliesPerSecond / workers),
                // The workers pass monotonic time (Environment.TickCount64); rules expire by the wall clock.
                WallClock = options.WallClock ?? TimeProvider.System,
            };
            var compiled = PolicyCompile.Run(snapshot.Content, options.DnsResolvers);
            EngineFlags.CheckClientCount(compiled, options);
            var hosts = compiled.CreateHostTable();
            var engines = new PacketEngine[workers];
            for (var w = 0; w < workers; w++)
            {
                engines[w] = new PacketEngine(new ActivePolicy(compiled, snapshot.Envelope.Version, hosts), shared with { Shard = w });
            }
            return new LiveFirewall(new Dataplane(opened, engines, shards), shared, snapshot.Envelope.Policy, snapshot.Envelope.ContentSha256);
        }
        catch
        {
            foreach (var device in opened)
            {
                device.Device.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Swaps <paramref name="snapshot"/> in on every worker, keeping the dsthost answers already
    /// known, and returns a line for the log. A snapshot of another policy, one that is not newer than
    /// the running one, one the tables cannot hold, or one giving a client this firewall's uplink
    /// address, is refused and the running policy stays.
    /// <para>
    /// <paramref name="startNames"/> starts keeping the new policy's names fresh and returns the task
    /// of its first answers. A name new to the policy has none yet, and the swap re-checks the flows
    /// of the client whose rules changed: an unanswered name in a drop rule would cut all of them, though
    /// none of them goes there. So when the new table holds a name without any answer (that the running
    /// one had an answer for, or did not hold), the swap waits
    /// for those first answers, up to <see cref="NewNamesWait"/>; a name still unanswered after that
    /// blocks its client as the rule format says. A name answered for one family only was asked
    /// already: it is not waited for, and its other family stays unresolved until it answers.
    /// </para>
    /// </summary>
    public string TrySwap(VerifiedSnapshot snapshot, Func<HostTable, Task> startNames)
    {
        lock (_swapping)
        {
            var running = Policy;
            if (snapshot.Envelope.Policy != PolicyName)
            {
                return $"refusing policy {snapshot.Envelope.Policy} version {snapshot.Envelope.Version}: this firewall runs policy {PolicyName}; keeping version {running.Version}";
            }
            if (snapshot.Envelope.Version == running.Version && snapshot.Envelope.ContentSha256 != ContentSha256)
            {
                // Signed by the trusted key, yet not what this version was: a control plane with another history (its database replaced?).
                return $"refusing version {snapshot.Envelope.Version}: its content differs from the running version {running.Version}'s " +
                    $"(sha256 {snapshot.Envelope.ContentSha256[..16]}… against {ContentSha256[..16]}…); keeping version {running.Version}";
            }
            if (snapshot.Envelope.Version <= running.Version)
            {
                return $"keeping version {running.Version}: version {snapshot.Envelope.Version} is not newer";
            }
            foreach (var uplink in (ReadOnlySpan<NetAddress?>)[_options.UplinkV4, _options.UplinkV6])
            {
                if (uplink is { } address && EngineFlags.ClientHolding(snapshot.Content, address) is { } holder)
                {
                    return $"refusing version {snapshot.Envelope.Version}: its client {holder} holds this firewall's uplink address {address}, " +
                        $"so no one could reach it (and boot would refuse it); keeping version {running.Version}";
                }
            }
            foreach (var (uplink, length) in (ReadOnlySpan<(NetAddress?, int)>)[(_options.UplinkV4, _options.UplinkPrefixLengthV4), (_options.UplinkV6, _options.UplinkPrefixLengthV6)])
            {
                if (uplink is { } address && UplinkAddress.PrefixOwnedBy(address, length) is { } owned && EngineFlags.ClientHolding(snapshot.Content, owned.Address) is { } holder)
                {
                    return $"refusing version {snapshot.Envelope.Version}: its client {holder} holds {owned.Address}, the {owned.Name} of this firewall's uplink prefix " +
                        $"{new UplinkAddress(address, length)}, so no one could reach it (and boot would refuse it); keeping version {running.Version}";
                }
            }
            CompiledPolicy compiled;
            try
            {
                compiled = PolicyCompile.Run(snapshot.Content, _options.DnsResolvers);
            }
            catch (PolicyTooLargeException e)
            {
                return $"refusing version {snapshot.Envelope.Version}: {e.Message}; keeping version {running.Version}";
            }
            if (compiled.ClientCount > _options.Limits.MaxClients)
            {
                return $"refusing version {snapshot.Envelope.Version}: {compiled.ClientCount} clients, the table counts at most {_options.Limits.MaxClients}; keeping version {running.Version}";
            }
            var hosts = compiled.CreateHostTable();
            hosts.CopyFrom(running.Hosts);
            startNames(hosts).Wait(NewNamesWait); // at once when every name has an answer for either family, or had none before either
            var unanswered = Unanswered(hosts);
            var cut = Dataplane.Swap(_ => new ActivePolicy(compiled, snapshot.Envelope.Version, hosts), SwapTimeout);
            ContentSha256 = snapshot.Envelope.ContentSha256;
            var missing = Dataplane.Devices.Where(d => d.Client is { } c && compiled.ClientIndex(c) < 0).Select(d => $"{d.Device.Name} ({d.Client})").ToList();
            var note = missing.Count == 0 ? "" : $"; no such client any more, so their packets are dropped: {string.Join(", ", missing)}";
            if (unanswered > 0)
            {
                note += _options.DnsResolvers.Count == 0
                    ? $"; no --dns resolver, so {unanswered} dsthost name(s) stay unresolved"
                    : $"; {unanswered} dsthost name(s) had no answer for one address family or both at the swap " +
                        $"(one with no answer at all was waited for up to {NewNamesWait.TotalSeconds:0} s, unless the running version had none either), so they count as unresolved there";
            }
            if (BootCommand.DnsTargetWarning(compiled) is { } warning)
            {
                note += "; " + warning;
            }
            // A worker late to take it still takes it before its next packet: its names are the ones kept fresh either way.
            return cut is { } n
                ? $"{BootCommand.Describe("swapped to", snapshot, compiled)}; cut {n} flow(s) the new policy no longer allows{note}"
                : $"{BootCommand.Describe("swapping to", snapshot, compiled)}: a worker did not take it within {SwapTimeout.TotalSeconds:0} s{note}";
        }
    }

    private static int Unanswered(HostTable hosts)
    {
        var count = 0;
        for (var id = 0; id < hosts.Names.Count; id++)
        {
            if (!hosts.IsResolved(id))
            {
                count++;
            }
        }
        return count;
    }

    public static string DescribeDevice(AttachedDevice device) =>
        $"device {device.Device.Name}: {(device.Client is { } c ? $"client {c}" : "uplink")}, {device.Device.QueueCount} queue(s), " +
        (device.Device.HasVirtioHeader ? $"offloads {TunOffloadNames.Describe(device.Device.Offloads)}" : "no offload (no virtio-net header)") +
        (device.Device.ClaimWarning is { } warning ? $"; {warning}" : "");

    public void Dispose() => Dataplane.Dispose();
}
