using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Moves the calling thread between the normal scheduling class and SCHED_IDLE, which runs only
/// when nothing else on its CPU wants to: a worker polls its queues there, so polling takes no time
/// from any other process.
/// </summary>
/// <remarks>
/// Going to SCHED_IDLE is always allowed; coming back is not (the kernel treats it as raising the
/// thread's priority, which needs CAP_SYS_NICE or an RLIMIT_NICE of 20). A thread that cannot come
/// back would forward at idle priority, starved by any busy process, so <see cref="ProbeReturn"/>
/// tries the round trip on a thread of its own before a worker may take it.
/// </remarks>
public static unsafe class ThreadPolicy
{
    public static bool TrySetIdle() => Set(0, Libc.SchedIdle) == 0;

    /// <returns>0, or the errno of the refusal.</returns>
    public static int SetNormal() => Set(0, Libc.SchedOther);

    /// <summary>Puts thread <paramref name="threadId"/> of this process (<see cref="CurrentThreadId"/>) back in the normal class.</summary>
    /// <returns>0, or the errno of the refusal (it needs CAP_SYS_NICE, as the thread's own return does).</returns>
    public static int SetNormal(int threadId) => Set(threadId, Libc.SchedOther);

    public static int CurrentThreadId() => Libc.GetTid();

    /// <summary>
    /// Whether a thread of this process may go to SCHED_IDLE and come back to what it had. The way back
    /// is SCHED_OTHER: in a process run under another policy (chrt, systemd's CPUSchedulingPolicy), whose
    /// threads all run under it, the calling thread's included, the workers would lose it after their
    /// first idle poll.
    /// </summary>
    /// <returns>Null when it may; else why not.</returns>
    public static string? ProbeReturn()
    {
        if (OtherPolicy() is { } other)
        {
            return other;
        }
        string? refusal = null;
        var probe = new Thread(() =>
        {
            if (!TrySetIdle())
            {
                refusal = $"sched_setscheduler(SCHED_IDLE) failed: errno {Marshal.GetLastPInvokeError()}";
                return;
            }
            var errno = SetNormal();
            if (errno != 0)
            {
                refusal = $"returning from SCHED_IDLE needs CAP_SYS_NICE (errno {errno})";
            }
        })
        { IsBackground = true, Name = "lethe-policy-probe" };
        probe.Start();
        probe.Join();
        return refusal;
    }

    /// <summary>Why not, when the calling thread runs under a policy other than SCHED_OTHER; else null.</summary>
    private static string? OtherPolicy()
    {
        var policy = Libc.SchedGetScheduler(0);
        return policy == Libc.SchedOther
            ? null
            : $"the process runs under scheduling policy {PolicyName(policy)}, which a worker returning from SCHED_IDLE would lose";
    }

    private static string PolicyName(int policy) => policy switch
    {
        1 => "SCHED_FIFO",
        2 => "SCHED_RR",
        3 => "SCHED_BATCH",
        Libc.SchedIdle => "SCHED_IDLE",
        6 => "SCHED_DEADLINE",
        _ => $"{policy}",
    };

    /// <param name="threadId">0: the calling thread.</param>
    private static int Set(int threadId, int policy)
    {
        var priority = 0;
        return Libc.SchedSetScheduler(threadId, policy, &priority) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
