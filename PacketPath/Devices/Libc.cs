using System.Runtime.InteropServices;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// The libc calls the TUN device needs, with blittable signatures only (NativeAOT, no runtime
/// marshalling). Constants are the Linux generic ABI values, the same on x86-64 and arm64
/// (checked with gcc; ../shared/reference/packet-path.md §2).
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int ORdWr = 0x2;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int AfInet = 2;
    public const int SockDgram = 2;
    public const int SockCloExec = 0x80000;

    public const int EfdNonBlock = 0x800;
    public const int EfdCloExec = 0x80000;

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;

    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int ENoMem = 12;
    public const int EAcces = 13;
    public const int EBadFd = 77;
    public const int EFault = 14;
    public const int EInval = 22;
    public const int EMsgSize = 90;
    public const int ENoBufs = 105;

    /// <summary>struct ifreq is 40 bytes; the kernel copies all of it back out on TUNSETIFF (drivers/net/tun.c).</summary>
    public const int IfReqSize = 40;
    public const int IfNameSize = 16;

    // include/uapi/linux/if_tun.h and include/uapi/linux/sockios.h, for _IOC on x86-64 and arm64.
    public const uint TunSetIff = 0x400454ca;
    public const uint TunSetOwner = 0x400454cc;
    public const uint TunSetOffload = 0x400454d0;
    public const uint TunSetVnetHdrSz = 0x400454d8;
    public const uint SiocGIfIndex = 0x8933;
    public const uint SiocGIfMtu = 0x8921;
    public const uint SiocSIfMtu = 0x8922;
    public const uint TunGetIff = 0x800454d2;
    public const uint TunGetDevNetns = 0x54e3;
    public const uint TunSetSteeringEbpf = 0x800454e0;

    public const short IffTun = 0x0001;
    public const short IffNoPi = 0x1000;
    public const short IffVnetHdr = 0x4000;
    public const short IffMultiQueue = 0x0100;
    public const short IffPersist = 0x0800;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>For requests that take a pointer to a struct or an int.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    /// <summary>For requests that take their argument by value, as TUNSETOFFLOAD does.</summary>
    [LibraryImport(Library, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nuint argument);

    // Never SuppressGCTransition on these: read and poll block.
    [LibraryImport(Library, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    /// <summary>pid 0 is the calling thread.</summary>
    [LibraryImport(Library, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    /// <summary>pid 0 is the calling thread; returns the bytes of the mask the kernel filled, or -1.</summary>
    [LibraryImport(Library, EntryPoint = "sched_getaffinity", SetLastError = true)]
    public static partial int SchedGetAffinity(int pid, nuint cpuSetSize, ulong* mask);

    public const int SchedOther = 0;
    public const int SchedIdle = 5;

    /// <summary>pid 0 is the calling thread; <paramref name="param"/> points at its sched_priority (0 for these policies).</summary>
    [LibraryImport(Library, EntryPoint = "sched_setscheduler", SetLastError = true)]
    public static partial int SchedSetScheduler(int pid, int policy, int* param);

    /// <summary>The scheduling policy of thread <paramref name="pid"/> (0: the calling thread), or -1.</summary>
    [LibraryImport(Library, EntryPoint = "sched_getscheduler", SetLastError = true)]
    public static partial int SchedGetScheduler(int pid);

    /// <summary>The calling thread's id in the kernel (what sched_setscheduler takes as pid).</summary>
    [LibraryImport(Library, EntryPoint = "gettid")]
    public static partial int GetTid();

    [LibraryImport(Library, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int option, void* value, uint length);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    /// <summary>syscall(2), for bpf(2), which libc does not wrap; its number differs between architectures.</summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    public static partial nint Syscall(nint number, nint first, void* second, nuint third);

    public static IOException Failure(string what, int errno) =>
        new($"{what} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
}
