using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Loads an eBPF socket filter through bpf(2) BPF_PROG_LOAD (include/uapi/linux/bpf.h). The
/// program lives as long as a descriptor or an attachment holds it: a TUN device that took it as
/// its steering program keeps it after the descriptor is closed.
/// </summary>
public static unsafe class BpfProgram
{
    /// <summary>bpf(2) commands.</summary>
    public const int ProgLoad = 5;

    /// <summary>BPF_PROG_TEST_RUN: the kernel runs a loaded program on a buffer given to it.</summary>
    public const int ProgTestRun = 10;

    private const int SocketFilter = 1;

    /// <summary>The part of union bpf_attr that BPF_PROG_LOAD reads, up to expected_attach_type.</summary>
    private const int LoadAttrSize = 72;

    /// <summary>What of the verifier's log a refusal quotes.</summary>
    private const int LogBytes = 64 * 1024;

    /// <summary>
    /// The loaded program's descriptor, or null and why the kernel refused it (no CAP_BPF or
    /// CAP_SYS_ADMIN, no bpf(2) in the kernel or under seccomp, the verifier's last words).
    /// </summary>
    public static SafeFileHandle? TryLoadSocketFilter(ReadOnlySpan<ulong> code, string name, out string? refusal)
    {
        var fd = Load(code, name, logBytes: 0, out var errno, out _);
        if (fd >= 0)
        {
            refusal = null;
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        var why = $"bpf(BPF_PROG_LOAD) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})";
        if (errno is Libc.EInval or Libc.EAcces)
        {
            // Loaded again only to hear the verifier's reason.
            var again = Load(code, name, LogBytes, out _, out var log);
            if (again >= 0)
            {
                Libc.Close(again);
            }
            else if (log.Length > 0)
            {
                why += $": {LastLines(log, 3)}";
            }
        }
        refusal = why;
        return null;
    }

    /// <summary>bpf(2) with <paramref name="attr"/>; the result, or -1 and errno in <paramref name="errno"/>.</summary>
    public static int Call(int command, Span<byte> attr, out int errno)
    {
        fixed (byte* a = attr)
        {
            var result = Libc.Syscall(SyscallNumber, command, a, (nuint)attr.Length);
            errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)result;
        }
    }

    private static int Load(ReadOnlySpan<ulong> code, string name, int logBytes, out int errno, out string log)
    {
        Span<byte> attr = stackalloc byte[LoadAttrSize];
        attr.Clear();
        var license = "GPL\0"u8;
        var buffer = logBytes > 0 ? new byte[logBytes] : [];
        fixed (ulong* instructions = code)
        fixed (byte* licenseText = license)
        fixed (byte* logBuffer = buffer)
        {
            MemoryMarshal.Write(attr, SocketFilter);
            MemoryMarshal.Write(attr[4..], code.Length);
            MemoryMarshal.Write(attr[8..], (ulong)instructions);
            MemoryMarshal.Write(attr[16..], (ulong)licenseText);
            if (logBytes > 0)
            {
                MemoryMarshal.Write(attr[24..], 1); // log_level
                MemoryMarshal.Write(attr[28..], logBytes);
                MemoryMarshal.Write(attr[32..], (ulong)logBuffer);
            }
            Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), attr[48..64]);
            var fd = Call(ProgLoad, attr, out errno);
            var end = Array.IndexOf(buffer, (byte)0);
            log = Encoding.ASCII.GetString(buffer, 0, end < 0 ? buffer.Length : end);
            return fd;
        }
    }

    private static string LastLines(string log, int count)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" / ", lines[Math.Max(0, lines.Length - count)..]);
    }

    /// <summary>__NR_bpf: 321 on x86-64, 280 on arm64 (the generic table).</summary>
    private static nint SyscallNumber => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 321 : 280;
}
