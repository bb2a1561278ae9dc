using Lethe.PacketPath.Devices;

namespace Lethe.PacketPath.Tests.Devices;

public class CpuAffinityTests
{
    [LinuxRootFact]
    public void a_pinned_thread_may_run_on_its_cpu_only_and_other_threads_are_untouched()
    {
        var before = AllowedCpus();
        var cpu = Environment.ProcessorCount - 1;
        string? pinned = null;
        var pinnedOk = false;
        var thread = new Thread(() =>
        {
            pinnedOk = CpuAffinity.TryPinCurrentThread(cpu);
            pinned = AllowedCpus();
        });
        thread.Start();
        thread.Join();

        Assert.True(pinnedOk);
        Assert.Equal(cpu.ToString(), pinned);
        Assert.Equal(before, AllowedCpus());
    }

    [LinuxRootFact]
    public void a_cpu_beyond_the_mask_is_refused()
    {
        Assert.False(CpuAffinity.TryPinCurrentThread(5000));
        Assert.False(CpuAffinity.TryPinCurrentThread(-1));
    }

    private static string AllowedCpus() =>
        File.ReadAllLines("/proc/thread-self/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();
}
