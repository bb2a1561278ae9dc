using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Reads a TUN device's MTU in whatever network namespace the device is in now. A device the
/// firewall created is moved into its client's namespace after boot and configured there, MTU
/// included, where its name means nothing in the firewall's own namespace. So the reader asks the
/// device for its namespace (TUNGETDEVNETNS), opens a socket there, and asks for the MTU by the
/// device's current name (TUNGETIFF, which follows a rename).
/// </summary>
/// <remarks>
/// It moves the calling thread into the device's namespace and back (setns affects that thread
/// only), so it belongs to one thread that does nothing else: create, use and dispose it there.
/// TUNGETDEVNETNS needs CAP_NET_ADMIN over the device's namespace and setns CAP_SYS_ADMIN; a
/// firewall without them gets the reason and keeps the MTU read by name when it started.
/// </remarks>
public sealed unsafe class DeviceMtuReader : IDisposable
{
    private readonly SafeFileHandle _home;
    private bool _lost;

    /// <exception cref="IOException">The thread's own namespace could not be opened.</exception>
    public DeviceMtuReader()
    {
        var path = "/proc/thread-self/ns/net\0"u8;
        int fd;
        fixed (byte* p = path)
        {
            fd = Libc.Open(p, Libc.ORdOnly | Libc.OCloExec);
        }
        if (fd < 0)
        {
            throw Libc.Failure("open /proc/thread-self/ns/net", Marshal.GetLastPInvokeError());
        }
        _home = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The device's MTU now, or false with the reason (the device is gone, or the firewall may not look into its namespace).</summary>
    public bool TryRead(TunDevice device, out int mtu, out string problem)
    {
        mtu = 0;
        if (_lost)
        {
            problem = "this thread could not return to its own network namespace";
            return false;
        }
        var queue = device.QueueHandle(0);
        var added = false;
        try
        {
            queue.DangerousAddRef(ref added);
            var fd = (int)queue.DangerousGetHandle();
            if (!TryCurrentName(fd, out var name, out problem) || !TryOpenSocketWhereTheDeviceIs(fd, out var socket, out problem))
            {
                return false;
            }
            using (socket)
            {
                try
                {
                    mtu = TunDevice.InterfaceRequest(socket, name, Libc.SiocGIfMtu, "SIOCGIFMTU");
                    return true;
                }
                catch (IOException e)
                {
                    problem = e.Message;
                    return false;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            problem = "the device is closed";
            return false;
        }
        finally
        {
            if (added)
            {
                queue.DangerousRelease();
            }
        }
    }

    private static bool TryCurrentName(int queue, out string name, out string problem)
    {
        var ifreq = stackalloc byte[Libc.IfReqSize];
        new Span<byte>(ifreq, Libc.IfReqSize).Clear();
        if (Libc.Ioctl(queue, Libc.TunGetIff, ifreq) < 0)
        {
            name = "";
            problem = Libc.Failure("TUNGETIFF", Marshal.GetLastPInvokeError()).Message;
            return false;
        }
        var bytes = new ReadOnlySpan<byte>(ifreq, Libc.IfNameSize);
        var end = bytes.IndexOf((byte)0);
        name = Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]);
        problem = "";
        return true;
    }

    private bool TryOpenSocketWhereTheDeviceIs(int queue, out SafeFileHandle socket, out string problem)
    {
        socket = null!;
        var ns = Libc.Ioctl(queue, Libc.TunGetDevNetns, (nuint)0);
        if (ns < 0)
        {
            problem = Libc.Failure("TUNGETDEVNETNS", Marshal.GetLastPInvokeError()).Message;
            return false;
        }
        using var nsHandle = new SafeFileHandle(ns, ownsHandle: true);
        if (Libc.SetNs(ns, Libc.CloneNewNet) < 0)
        {
            problem = Libc.Failure("setns into the device's network namespace", Marshal.GetLastPInvokeError()).Message;
            return false;
        }
        var fd = Libc.Socket(Libc.AfInet, Libc.SockDgram | Libc.SockCloExec, 0);
        var errno = Marshal.GetLastPInvokeError();
        if (Libc.SetNs((int)_home.DangerousGetHandle(), Libc.CloneNewNet) < 0)
        {
            _lost = true;
        }
        if (fd < 0)
        {
            problem = Libc.Failure("socket(AF_INET, SOCK_DGRAM) in the device's network namespace", errno).Message;
            return false;
        }
        socket = new SafeFileHandle(fd, ownsHandle: true);
        problem = "";
        return true;
    }

    public void Dispose() => _home.Dispose();
}
