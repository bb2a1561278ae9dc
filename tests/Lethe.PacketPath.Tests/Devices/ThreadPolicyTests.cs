using System.Runtime.InteropServices;
using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class ThreadPolicyTests
{
    [LinuxRootFact]
    public void root_may_go_to_sched_idle_and_come_back_and_only_the_calling_thread_moves()
    {
        var before = ThreadStat.Policy("/proc/thread-self/stat");
        var seen = new List<int>();
        var wentIdle = false;
        var returned = -1;
        // Assertions stay on the test's thread: one failing on another thread would end the test host.
        var thread = new Thread(() =>
        {
            wentIdle = ThreadPolicy.TrySetIdle();
            seen.Add(ThreadStat.Policy("/proc/thread-self/stat"));
            seen.Add(ThreadStat.Policy("/proc/self/stat"));
            returned = ThreadPolicy.SetNormal();
            seen.Add(ThreadStat.Policy("/proc/thread-self/stat"));
        });
        thread.Start();
        thread.Join();

        Assert.True(wentIdle);
        Assert.Equal(0, returned);
        Assert.Equal(ThreadStat.SchedOther, before);
        Assert.Equal([ThreadStat.SchedIdle, ThreadStat.SchedOther, ThreadStat.SchedOther], seen);
        Assert.Null(ThreadPolicy.ProbeReturn());
    }

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int priority);

    [LinuxRootFact]
    public void idle_polling_is_refused_to_a_process_run_at_real_time_priority_which_a_return_would_drop()
    {
        var set = -1;
        string? refusal = null;
        // A thread at SCHED_FIFO stands for a process started under chrt (or systemd's CPUSchedulingPolicy=fifo),
        // whose threads all run so: the workers would drop to SCHED_OTHER after their first idle poll.
        var thread = new Thread(() =>
        {
            var priority = 1;
            set = SchedSetScheduler(0, 1, ref priority);
            refusal = ThreadPolicy.ProbeReturn();
        });
        thread.Start();
        thread.Join();

        Assert.Equal(0, set);
        Assert.Equal("the process runs under scheduling policy SCHED_FIFO, which a worker returning from SCHED_IDLE would lose", refusal);
    }
}
