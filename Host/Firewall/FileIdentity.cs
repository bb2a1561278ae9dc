using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lethe.Firewall;

/// <summary>
/// Which file an open handle is (device and inode, from fstat): a symbolic or hard link to the
/// capture replay reads is the same file under another name, which comparing paths misses.
/// </summary>
public static partial class FileIdentity
{
    /// <summary>(st_dev, st_ino), or null when fstat fails. Both lead struct stat on x86-64 and arm64 alike.</summary>
    public static (ulong Device, ulong Inode)? Of(SafeFileHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Of((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <inheritdoc cref="Of(SafeFileHandle)"/>
    public static unsafe (ulong Device, ulong Inode)? Of(int descriptor)
    {
        // struct stat is 128 bytes on arm64 and 144 on x86-64; room for either.
        var buffer = stackalloc ulong[32];
        return Fstat(descriptor, buffer) == 0 ? (buffer[0], buffer[1]) : null;
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int Fstat(int descriptor, ulong* buffer);
}
