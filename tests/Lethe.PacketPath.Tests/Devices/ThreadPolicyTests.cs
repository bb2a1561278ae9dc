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
}
