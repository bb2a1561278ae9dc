using System.Runtime.InteropServices;
using System.Text;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A fifo as a reader that stops reading: open, read and write it without blocking, and fill it until
/// the kernel takes no more. And ioctl, for a test that holds a TUN device as another program would.
/// </summary>
internal static class Libc
{
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int ORdWr = 2;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    [DllImport("libc", SetLastError = true)]
    public static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte[] buffer, nint count);

    [DllImport("libc")]
    public static extern int close(int fd);

    /// <summary>For requests that take a pointer to a struct, such as TUNSETIFF's struct ifreq.</summary>
    [DllImport("libc", SetLastError = true)]
    public static extern int ioctl(int fd, nuint request, byte[] argument);

    public static string ReadSome(int fd)
    {
        var buffer = new byte[65536];
        var n = read(fd, buffer, buffer.Length);
        return n > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n) : "";
    }

    /// <summary>Writes blank lines into the fifo until the kernel takes no more: its reader (the test) has stopped reading.</summary>
    public static void Fill(string fifo)
    {
        var fd = open(fifo, OWrOnly | ONonBlock);
        Assert.True(fd >= 0, "cannot open the fifo for writing");
        var lines = Encoding.ASCII.GetBytes(new string('\n', 4096));
        while (write(fd, lines, lines.Length) > 0)
        {
        }
        var one = new byte[] { (byte)'\n' };
        while (write(fd, one, 1) > 0)
        {
        }
        close(fd);
    }
}
