namespace Lethe.PacketPath.Devices;

/// <summary>Keeps the calling thread on one CPU (sched_setaffinity), so a worker's buffers and its flows' state stay in one core's caches.</summary>
public static unsafe class CpuAffinity
{
    private const int MaskWords = 16;

    /// <summary>
    /// The CPUs the calling thread may run on (its affinity, which a cpuset or taskset narrows), in
    /// order; null when the kernel does not say. Their numbers need not start at 0 nor be contiguous.
    /// </summary>
    public static IReadOnlyList<int>? Allowed()
    {
        var mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        if (Libc.SchedGetAffinity(0, MaskWords * sizeof(ulong), mask) < 0)
        {
            return null;
        }
        var cpus = new List<int>();
        for (var cpu = 0; cpu < MaskWords * 64; cpu++)
        {
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0)
            {
                cpus.Add(cpu);
            }
        }
        return cpus;
    }

    /// <summary>False (and the thread keeps running wherever the scheduler puts it) when the kernel refuses, e.g. the CPU is not in this process's cpuset.</summary>
    public static bool TryPinCurrentThread(int cpu)
    {
        if (cpu is < 0 or >= 1024)
        {
            return false;
        }
        var mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return Libc.SchedSetAffinity(0, MaskWords * sizeof(ulong), mask) == 0;
    }
}
