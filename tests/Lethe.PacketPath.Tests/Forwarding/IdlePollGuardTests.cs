using System.Diagnostics;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Devices;

namespace Lethe.PacketPath.Tests.Forwarding;

/// <summary>
/// The guard behind idle polling, with real threads: one "polls" at SCHED_IDLE on CPU 0 as a
/// worker does; busy threads at normal priority take that CPU or leave it alone.
/// </summary>
[Collection(AloneCollection.Name)]
public class IdlePollGuardTests
{
    private static readonly TimeSpan Overdue = TimeSpan.FromMilliseconds(2);

    [Fact]
    public void a_guard_never_started_is_disposed_without_complaint()
    {
        // What a boot refused after the data plane was built (a metrics port taken) does.
        var guard = new IdlePollGuard([new IdlePollSlot()], Overdue);

        var failure = Record.Exception(guard.Dispose);

        Assert.Null(failure);
    }

    [LinuxRootFact]
    public void a_poll_starved_by_busy_threads_is_moved_back_to_normal_priority_even_after_the_guard_slept()
    {
        var slot = new IdlePollSlot();
        using var guard = new IdlePollGuard([slot], Overdue);
        guard.Start();
        // The guard finds no poll and sleeps until the next one wakes it: the case that must still be caught.
        Assert.True(SpinWait.SpinUntil(() => guard.IsParked, TimeSpan.FromSeconds(10)), "the guard never went to sleep");
        using var busy = new BusyThreads(cpu: 0, count: 2);

        var poller = new Poller(slot, guard, cpu: 0, seconds: 10);
        var rescued = poller.Join();

        Assert.True(poller.WentIdle);
        Assert.Equal(ThreadStat.SchedOther, poller.PolicyAtEnd);
        Assert.True(rescued);
        Assert.Equal(1, guard.Rescues);
    }

    [LinuxRootFact]
    public void a_poll_that_ends_within_its_time_is_left_alone()
    {
        var slot = new IdlePollSlot();
        // A limit far beyond any starvation: on a busy core a thread at idle priority may not run again for
        // seconds after its 0.2 s are up (the suite's own BusyMachineTests make such a core), and what is
        // tested here is only that a poll under its limit is left alone.
        using var guard = new IdlePollGuard([slot], TimeSpan.FromMinutes(2));
        guard.Start();

        var poller = new Poller(slot, guard, cpu: 0, seconds: 0.2);
        var rescued = poller.Join();

        Assert.True(poller.WentIdle);
        Assert.Equal(ThreadStat.SchedIdle, poller.PolicyAtEnd);
        Assert.False(rescued);
        Assert.Equal(0, guard.Rescues);
    }

    [Fact]
    public void a_rescue_of_a_poll_that_has_ended_is_not_charged_to_the_next_one()
    {
        // Overdue polls that end at random moments, each followed by a short one: a late rescue of the
        // first must not come back from the second, whose worker would then stop polling for nothing.
        var slot = new IdlePollSlot();
        var overdue = TimeSpan.FromMilliseconds(1);
        using var guard = new IdlePollGuard([slot], overdue);
        var random = new Random(1);
        long shortPolls = 0, charged = 0;
        var thread = new Thread(() =>
        {
            slot.Bind(ThreadPolicy.CurrentThreadId());
            var end = Stopwatch.GetTimestamp() + 3 * Stopwatch.Frequency;
            while (Stopwatch.GetTimestamp() < end)
            {
                slot.Entered(Stopwatch.GetTimestamp() - Stopwatch.Frequency);
                guard.Polling();
                Spin(TimeSpan.FromMicroseconds(random.Next(1, 3000)));
                slot.Left();
                var start = Stopwatch.GetTimestamp();
                slot.Entered(start);
                Spin(TimeSpan.FromMicroseconds(20));
                shortPolls++;
                if (slot.Left() && Stopwatch.GetElapsedTime(start) < overdue)
                {
                    charged++;
                }
            }
        });
        guard.Start();

        thread.Start();
        thread.Join();

        Assert.True(guard.Rescues > 0, "the guard rescued none of the overdue polls");
        Assert.True(charged == 0, $"{charged} of {shortPolls} short polls came back rescued");
    }

    private static void Spin(TimeSpan time)
    {
        var until = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int sched_getscheduler(int pid);

    /// <summary>A thread that polls as a worker does: announced, at SCHED_IDLE, until its time is up.</summary>
    private sealed class Poller
    {
        private readonly Thread _thread;
        private bool _rescued;

        public Poller(IdlePollSlot slot, IdlePollGuard guard, int cpu, double seconds)
        {
            _thread = new Thread(() =>
            {
                CpuAffinity.TryPinCurrentThread(cpu);
                slot.Bind(ThreadPolicy.CurrentThreadId());
                var start = Stopwatch.GetTimestamp();
                slot.Entered(start);
                guard.Polling();
                WentIdle = ThreadPolicy.TrySetIdle();
                // Asked of the kernel without allocating: a poller that allocated would collect the heap
                // itself, at idle priority behind the busy threads, with every other thread (the guard
                // too) stopped until it finished.
                do
                {
                    PolicyAtEnd = sched_getscheduler(0);
                }
                while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds && PolicyAtEnd == ThreadStat.SchedIdle);
                Polled = Stopwatch.GetElapsedTime(start);
                _rescued = slot.Left();
                ThreadPolicy.SetNormal();
            }) { IsBackground = true };
            _thread.Start();
        }

        public bool WentIdle { get; private set; }

        /// <summary>The thread's policy when it stopped polling.</summary>
        public int PolicyAtEnd { get; private set; } = -1;

        public TimeSpan Polled { get; private set; }

        public bool Join()
        {
            _thread.Join();
            return _rescued;
        }
    }

    /// <summary>Threads at normal priority spinning on one CPU until disposed.</summary>
    private sealed class BusyThreads : IDisposable
    {
        private readonly List<Thread> _threads = [];
        private volatile bool _stop;

        public BusyThreads(int cpu, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var thread = new Thread(() =>
                {
                    CpuAffinity.TryPinCurrentThread(cpu);
                    while (!_stop)
                    {
                    }
                }) { IsBackground = true };
                thread.Start();
                _threads.Add(thread);
            }
        }

        public void Dispose()
        {
            _stop = true;
            foreach (var thread in _threads)
            {
                thread.Join();
            }
        }
    }
}
