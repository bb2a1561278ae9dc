using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class ThreadPolicyTests
{
    [LinuxRootFact]
    public void root_may_go_to_sched_idle_and_come_back_and_only_the_calling_thread_moves()
    {
        var before = Policy("thread-self");
        var seen = new List<int>();
        var thread = new Thread(() =>
        {
            Assert.True(ThreadPolicy.TrySetIdle());
            seen.Add(Policy("thread-self"));
            seen.Add(Policy("self"));
            Assert.Equal(0, ThreadPolicy.SetNormal());
            seen.Add(Policy("thread-self"));
        });
        thread.Start();
        thread.Join();

        Assert.Equal(0, before);
        Assert.Equal([5, 0, 0], seen);
        Assert.Null(ThreadPolicy.ProbeReturn());
    }

    /// <summary>Field 41 of /proc/.../stat: the scheduling policy (0 normal, 5 SCHED_IDLE).</summary>
    private static int Policy(string which)
    {
        var stat = File.ReadAllText($"/proc/{which}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}
