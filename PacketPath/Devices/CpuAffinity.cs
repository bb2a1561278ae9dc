namespace Lethe.PacketPath.Devices;

/// <summary>Keeps the calling thread on one CPU (sched_setaffinity), so a worker's buffers and its flows' state stay in one core's caches.</summary>
public static unsafe class CpuAffinity
{
    /// <summary>False (and the thread keeps running wherever the scheduler puts it) when the kernel refuses, e.g. the CPU is not in this process's cpuset.</summary>
    public static bool TryPinCurrentThread(int cpu)
    {
        if (cpu is < 0 or >= 1024)
        {
            return false;
        }
        var mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return Libc.SchedSetAffinity(0, 16 * sizeof(ulong), mask) == 0;
    }
}
