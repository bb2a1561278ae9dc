using Lethe.PacketPath.Engine;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// One request for the tracked flows, on its way to every worker: each copies the flows of its own
/// shard between two packets, so nothing reads a table while its worker writes it, and no lock is
/// taken on the packet path. Each worker copies at most <see cref="MaxPerWorker"/> and counts the rest.
/// </summary>
/// <remarks>Not disposable: a worker later than the wait still signals it.</remarks>
public sealed class FlowListing
{
    /// <summary>Enough to read; a full table of 65,536 flows, copied whole, would double the firewall's memory.</summary>
    public const int MaxPerWorker = 10_000;

    private readonly CountdownEvent _done;
    private readonly List<ListedFlow>[] _flows;
    private readonly long[] _unlisted;

    internal FlowListing(int workers)
    {
        _done = new CountdownEvent(workers);
        _flows = new List<ListedFlow>[workers];
        _unlisted = new long[workers];
        for (var w = 0; w < workers; w++)
        {
            _flows[w] = [];
        }
    }

    /// <summary>On worker <paramref name="worker"/>'s own thread, between two packets.</summary>
    internal void Fill(int worker, PacketEngine engine, long nowMs)
    {
        var flows = _flows[worker];
        var policy = engine.Policy;
        var unlisted = 0L;
        engine.Connections.ForEachLive(nowMs, (flow, left) =>
        {
            if (flows.Count < MaxPerWorker)
            {
                flows.Add(new ListedFlow(flow, nowMs - flow.LastSeenMs, left, policy));
            }
            else
            {
                unlisted++;
            }
        });
        _unlisted[worker] = unlisted;
        _done.Signal();
    }

    internal bool Wait(TimeSpan timeout) => _done.Wait(timeout);

    /// <summary>Every worker's copies; read once <see cref="Wait"/> said all answered.</summary>
    internal IReadOnlyList<ListedFlow> Flows => _flows.SelectMany(f => f).ToList();

    internal long Unlisted => _unlisted.Sum();
}
