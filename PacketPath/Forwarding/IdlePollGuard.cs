using System.Diagnostics;
using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Forwarding;

/// <summary>
/// Puts a worker that has polled at idle priority for longer than it may back to normal priority.
/// </summary>
/// <remarks>
/// A worker polls its empty queues at SCHED_IDLE so that polling takes no time from anyone. But when
/// a busy process takes the worker's core in the middle of a poll, the worker is neither asleep nor
/// running: a packet does not wake it, and SCHED_IDLE gets a core only when nothing else wants it.
/// A CI run with every core busy saw a flow stall for seconds that way. This thread, at normal
/// priority, looks every millisecond (only while some worker polls; otherwise it sleeps until one
/// does) and moves a worker polling for longer than its window and a margin back to the normal
/// class, where it gets its fair share of the core at once.
/// </remarks>
public sealed class IdlePollGuard : IDisposable
{
    /// <summary>How long the guard keeps looking after the last poll it saw, before it sleeps until the next.</summary>
    private static readonly long ParkAfter = Stopwatch.Frequency / 10;

    private readonly IdlePollSlot[] _slots;
    private readonly long _overdue;
    private readonly ManualResetEventSlim _unpark = new(false);
    private readonly Thread _thread;
    private int _parked;
    private volatile bool _stopping;
    private long _rescues;

    /// <param name="overdue">How long a poll may last before its thread is moved back: the longest window and a margin.</param>
    public IdlePollGuard(IdlePollSlot[] slots, TimeSpan overdue)
    {
        _slots = slots;
        _overdue = (long)(overdue.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "lethe-poll-guard" };
    }

    /// <summary>Polls the guard cut short, since it started.</summary>
    public long Rescues => Interlocked.Read(ref _rescues);

    /// <summary>Whether the guard sleeps until the next poll wakes it.</summary>
    public bool IsParked => Volatile.Read(ref _parked) != 0;

    public void Start() => _thread.Start();

    /// <summary>From a polling thread right after <see cref="IdlePollSlot.Entered"/>: wakes the guard if it sleeps.</summary>
    public void Polling()
    {
        if (Volatile.Read(ref _parked) != 0)
        {
            _unpark.Set();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _unpark.Set();
        // A background thread never started reads Background | Unstarted, so the flag is tested, not the value.
        if ((_thread.ThreadState & System.Threading.ThreadState.Unstarted) == 0)
        {
            _thread.Join();
        }
        _unpark.Dispose();
    }

    private void Run()
    {
        var lastPoll = Stopwatch.GetTimestamp();
        while (!_stopping)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            if (Look(now))
            {
                lastPoll = now;
                continue;
            }
            if (now - lastPoll < ParkAfter)
            {
                continue;
            }
            _unpark.Reset();
            Interlocked.Exchange(ref _parked, 1);
            // A poll that began before the exchange may not have seen the guard parked; and a Dispose
            // whose Set came before the Reset above is seen here, by its flag, or the guard would
            // sleep through it and the shutdown would wait on it forever.
            if (!_stopping && !Look(Stopwatch.GetTimestamp()))
            {
                _unpark.Wait();
            }
            Interlocked.Exchange(ref _parked, 0);
            lastPoll = Stopwatch.GetTimestamp();
        }
    }

    /// <returns>Whether any slot was polling.</returns>
    private bool Look(long now)
    {
        var polling = false;
        foreach (var slot in _slots)
        {
            var since = slot.Since;
            if (since == 0)
            {
                continue;
            }
            polling = true;
            // Moved again at every look while the poll lasts: the thread may have gone to idle priority
            // only after an earlier move. One that cannot be moved (no CAP_SYS_NICE any more) fails its
            // own return and stops the firewall. Since is read again just before the move, so a poll that
            // ended meanwhile is seldom moved for its successor. The mark goes first: the thread, back at
            // normal priority, may end its poll at once, and must find the rescue charged to it.
            if (now - since > _overdue && slot.ThreadId != 0 && slot.Since == since)
            {
                var first = slot.Rescued(since);
                if (ThreadPolicy.SetNormal(slot.ThreadId) == 0 && first)
                {
                    Interlocked.Increment(ref _rescues);
                }
            }
        }
        return polling;
    }
}
