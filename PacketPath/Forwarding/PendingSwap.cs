using Lethe.PacketPath.Engine;

namespace Lethe.PacketPath.Forwarding;

/// <summary>One policy swap on its way to every worker: each takes its own copy of the policy (its own counters) and reports the flows it cut.</summary>
internal sealed class PendingSwap(Func<int, ActivePolicy> policyFor, int workers) : IDisposable
{
    private readonly CountdownEvent _done = new(workers);
    private int _cut;

    public int Cut => Volatile.Read(ref _cut);

    public ActivePolicy PolicyFor(int worker) => policyFor(worker);

    public void Done(int cut)
    {
        Interlocked.Add(ref _cut, cut);
        _done.Signal();
    }

    public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

    public void Dispose() => _done.Dispose();
}
