using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// The live data plane: one <see cref="Worker"/> thread per queue, every device opened with that
/// many queues, and a handoff ring from each worker to each other one. It owns the devices and
/// disposes them after its workers have stopped, so a device never outlives the process's
/// decisions: when the firewall stops, its devices (unless made persistent beforehand) go with it.
/// </summary>
public sealed class Dataplane : IDisposable
{
    /// <summary>
    /// The most workers a data plane runs. Each pair of workers has a ring each way, so rings grow with
    /// the square of the count: 64 workers have 4,032 of them.
    /// </summary>
    public const int MaxWorkers = 64;

    /// <summary>Bytes per ring at most: 700 MTU-sized packets, or 15 super-packets (see <see cref="HandoffRing"/>).</summary>
    private const int MaxRingBytes = 1 << 20;

    /// <summary>Bytes per ring at least: room for a 64 KiB super-packet with its headers, twice over.</summary>
    private const int MinRingBytes = 1 << 18;

    /// <summary>What all rings together may take, until each is down to <see cref="MinRingBytes"/>.</summary>
    private const long RingBudget = 64L << 20;

    /// <summary>Bytes per ring for <paramref name="workers"/> workers: 1 MiB up to 8 of them, less beyond, never under 256 KiB.</summary>
    internal static int RingBytes(int workers)
    {
        var pairs = (long)workers * (workers - 1);
        var share = pairs == 0 ? MaxRingBytes : RingBudget / pairs;
        return (int)Math.Clamp(share, MinRingBytes, MaxRingBytes) & ~7;
    }

    /// <summary>How much longer than its window a poll may last before the guard moves its worker back.</summary>
    private static readonly TimeSpan PollGuardMargin = TimeSpan.FromMilliseconds(5);

    /// <summary>How long <see cref="Start"/> waits for the workers to be on their CPUs.</summary>
    private static readonly TimeSpan PlacementTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How often a swap that waits for the workers looks whether they stopped meanwhile.</summary>
    private static readonly TimeSpan SwapWaitSlice = TimeSpan.FromMilliseconds(50);

    private readonly AttachedDevice[] _devices;
    private readonly Worker[] _workers;
    private readonly Lock _listingLock = new();
    private readonly List<HandoffRing> _rings = [];
    private readonly Thread[] _threads;
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopped;
    private readonly Lock _swapping = new();
    private readonly MtuWatch _mtuWatch;
    private readonly FlowShards _shards;
    private IdlePollGuard? _pollGuard;
    private int _disposed;

    /// <param name="engines">One per worker; engine i holds shard i of <paramref name="shards"/>.</param>
    public Dataplane(IReadOnlyList<AttachedDevice> devices, IReadOnlyList<PacketEngine> engines, FlowShards shards)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(shards);
        if (engines.Count is < 1 or > MaxWorkers)
        {
            throw new ArgumentException($"{engines.Count} workers: a data plane runs 1 to {MaxWorkers}.", nameof(engines));
        }
        if (engines.Count != shards.Count)
        {
            throw new ArgumentException($"{engines.Count} engines for {shards.Count} shards: one worker per shard.", nameof(engines));
        }
        foreach (var device in devices)
        {
            if (device.Device.QueueCount < engines.Count)
            {
                throw new ArgumentException($"{device.Device.Name} has {device.Device.QueueCount} queue(s) for {engines.Count} workers.", nameof(devices));
            }
        }
        _devices = [.. devices];
        _shards = shards;
        Mtus = new DeviceMtus(_devices.Length);
        _mtuWatch = new MtuWatch(_devices, Mtus);
        _workers = new Worker[engines.Count];
        var fragmentRoutes = new FragmentRoutes((ulong)Random.Shared.NextInt64());
        for (var w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Worker(w, engines[w], _devices, Mtus, shards, fragmentRoutes, e => _failed.TrySetException(e));
        }
        var rings = new HandoffRing?[_workers.Length, _workers.Length];
        var ringBytes = RingBytes(_workers.Length);
        for (var from = 0; from < _workers.Length; from++)
        {
            for (var to = 0; to < _workers.Length; to++)
            {
                rings[from, to] = from == to ? null : new HandoffRing(ringBytes);
                if (rings[from, to] is { } made)
                {
                    _rings.Add(made);
                }
            }
        }
        for (var w = 0; w < _workers.Length; w++)
        {
            var outbox = new HandoffRing?[_workers.Length];
            var inbox = new List<HandoffRing>();
            for (var other = 0; other < _workers.Length; other++)
            {
                outbox[other] = rings[w, other];
                if (rings[other, w] is { } ring)
                {
                    inbox.Add(ring);
                }
            }
            _workers[w].Connect(_workers, outbox, [.. inbox]);
        }
        _threads = new Thread[_workers.Length];
        for (var w = 0; w < _workers.Length; w++)
        {
            _threads[w] = new Thread(_workers[w].Run) { IsBackground = true, Name = $"lethe-worker-{w}" };
        }
    }

    public IReadOnlyList<Worker> Workers => _workers;

    public IReadOnlyList<AttachedDevice> Devices => _devices;

    /// <summary>Polls at idle priority that <see cref="IdlePollGuard"/> cut short because a busy process held the worker's core.</summary>
    public long IdlePollRescues => _pollGuard?.Rescues ?? 0;

    /// <summary>Each device's MTU as last read, wherever the device is now (index as in <see cref="Devices"/>).</summary>
    public DeviceMtus Mtus { get; }

    /// <summary>
    /// True once <see cref="Start"/> gave every device the program that queues each packet for the
    /// worker that owns its flow (<see cref="QueueSteering"/>); false with one worker, or when the
    /// kernel refused it (then packets arrive where the kernel's own steering puts them, and those
    /// of another worker's flow are handed over).
    /// </summary>
    public bool SteersQueues { get; private set; }

    /// <summary>Faults when a worker stops on a device error (say, the device was deleted); the firewall then stops, closed.</summary>
    public Task Failed => _failed.Task;

    /// <summary>
    /// Every worker's tracked flows, each copied by its worker between two packets (at most
    /// <see cref="FlowListing.MaxPerWorker"/> a worker, the rest counted in <paramref name="unlisted"/>);
    /// null when a worker did not answer within <paramref name="timeout"/> (one stopped, or not started).
    /// </summary>
    public IReadOnlyList<ListedFlow>? ListFlows(TimeSpan timeout, out long unlisted)
    {
        // One listing at a time: each worker has one place for a request, and a second would take the first's.
        lock (_listingLock)
        {
            var listing = new FlowListing(_workers.Length);
            foreach (var worker in _workers)
            {
                worker.Post(listing);
            }
            if (!listing.Wait(timeout))
            {
                unlisted = 0;
                return null;
            }
            unlisted = listing.Unlisted;
            return listing.Flows;
        }
    }

    /// <summary>
    /// Has every worker note the packets it drops in a <see cref="DropLog"/> of its own, holding up to
    /// <paramref name="capacity"/> of them, for a reader to take; called before <see cref="Start"/>.
    /// </summary>
    public IReadOnlyList<DropLog> KeepDropLogs(int capacity)
    {
        var logs = new DropLog[_workers.Length];
        for (var w = 0; w < logs.Length; w++)
        {
            logs[w] = new DropLog(capacity);
            _workers[w].DropLog = logs[w];
        }
        return logs;
    }

    /// <summary>
    /// Reads every device's MTU, then starts one thread per worker and follows the MTUs from then
    /// on (<paramref name="log"/> hears of each change). With <paramref name="cpus"/>, worker i keeps
    /// to CPU cpus[i % cpus.Count]: a worker that the scheduler moves between cores loses its caches
    /// and waits for a core more often (measured in bench/README.md).
    /// </summary>
    /// <para>
    /// With more than one worker, it first gives every device the steering program
    /// (<see cref="QueueSteering"/>); if the kernel refuses it, <paramref name="log"/> hears why and
    /// forwarding goes on with the kernel's own queue choice.
    /// </para>
    /// <param name="idlePollMicroseconds">
    /// The longest a worker that found its queues empty polls them at idle priority before it
    /// sleeps (<see cref="IdlePollWindow"/>); 0, or a process that may not return a thread from
    /// SCHED_IDLE (then <paramref name="log"/> hears why), sleeps at once.
    /// </param>
    public void Start(IReadOnlyList<int>? cpus = null, Action<string>? log = null, int idlePollMicroseconds = 0)
    {
        if (_devices.Length > 0)
        {
            _mtuWatch.Start(log);
        }
        if (_workers.Length > 1 && _devices.Length > 0)
        {
            var steering = QueueSteering.Attach(_devices, _shards);
            SteersQueues = steering is null;
            if (steering is not null)
            {
                log?.Invoke($"queue steering off: {steering}; packets read by a worker that does not own their flow are handed over to it");
            }
        }
        if (_devices.Length == 0)
        {
            idlePollMicroseconds = 0; // nothing to poll
        }
        if (idlePollMicroseconds > 0 && ThreadPolicy.ProbeReturn() is { } refusal)
        {
            log?.Invoke($"idle polling off: {refusal}");
            idlePollMicroseconds = 0;
        }
        if (idlePollMicroseconds > 0)
        {
            var slots = new IdlePollSlot[_workers.Length];
            for (var w = 0; w < slots.Length; w++)
            {
                slots[w] = _workers[w].PollSlot;
            }
            _pollGuard = new IdlePollGuard(slots, TimeSpan.FromMicroseconds(idlePollMicroseconds) + PollGuardMargin);
            foreach (var worker in _workers)
            {
                worker.IdlePoll = new IdlePollWindow(idlePollMicroseconds);
                worker.PollGuard = _pollGuard;
            }
            _pollGuard.Start();
        }
        // Not disposed: a worker later than the wait below still signals it (it holds no kernel handle).
        var placed = new CountdownEvent(_workers.Length);
        for (var w = 0; w < _workers.Length; w++)
        {
            _workers[w].Cpu = cpus is { Count: > 0 } ? cpus[w % cpus.Count] : -1;
            _workers[w].Placed = placed;
        }
        foreach (var thread in _threads)
        {
            thread.Start();
        }
        // So that what the caller reports of each worker's CPU is where it runs, not where it was asked to.
        placed.Wait(PlacementTimeout);
    }

    /// <summary>
    /// Hands every worker its copy of the next policy and waits until each has swapped it in
    /// between two packets and cut the flows it no longer allows. Packets of allowed flows keep
    /// flowing: each worker swaps on its own thread, nothing is paused.
    /// </summary>
    /// <returns>The flows cut, or null when a worker did not swap within <paramref name="timeout"/>.</returns>
    public int? Swap(Func<int, ActivePolicy> policyFor, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(policyFor);
        lock (_swapping)
        {
            var swap = new PendingSwap(policyFor, _workers.Length);
            foreach (var worker in _workers)
            {
                worker.Post(swap);
            }
            var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (!swap.Wait(SwapWaitSlice))
            {
                // A stopped or failed worker never takes it: give up at once rather than hold shutdown.
                if (_stopped || _failed.Task.IsCompleted || Environment.TickCount64 >= deadline)
                {
                    return null; // a late worker still signals it, so it is not disposed
                }
            }
            swap.Dispose();
            return swap.Cut;
        }
    }

    /// <summary>
    /// Stops forwarding at once: each worker ends after the packet in hand, and nothing is forwarded
    /// after that (fail closed), while the devices stay open until <see cref="Dispose"/>.
    /// </summary>
    public void Stop()
    {
        _stopped = true;
        foreach (var worker in _workers)
        {
            worker.Stop();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _mtuWatch.Dispose();
        Stop();
        foreach (var device in _devices)
        {
            device.Device.Interrupt();
        }
        foreach (var thread in _threads)
        {
            // A background thread never started reads Background | Unstarted, so the flag is tested, not the value.
            if ((thread.ThreadState & ThreadState.Unstarted) == 0)
            {
                thread.Join();
            }
        }
        _pollGuard?.Dispose();
        foreach (var worker in _workers)
        {
            worker.DisposePoller();
        }
        foreach (var device in _devices)
        {
            device.Device.Dispose();
        }
        foreach (var ring in _rings)
        {
            ring.Dispose();
        }
    }
}
