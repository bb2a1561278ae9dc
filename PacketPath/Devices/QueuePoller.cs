using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Lets one worker wait for any of its queues (one queue of each device) at once, and lets other
/// threads wake it: a policy swap, a packet handed over by another worker, shutdown. poll(2) over
/// the queue descriptors and an eventfd of its own; the descriptor table is allocated once.
/// </summary>
/// <remarks>
/// It holds a reference on every queue's handle from construction to <see cref="Dispose"/>, so a
/// device disposed while the worker still polls cannot have its descriptor numbers reused under it.
/// </remarks>
public sealed unsafe class QueuePoller : IDisposable
{
    private readonly SafeFileHandle[] _handles;
    private readonly SafeFileHandle _wakeup;
    private readonly Libc.PollFd* _fds;
    private int _disposed;

    public QueuePoller(IReadOnlyList<(TunDevice Device, int Queue)> queues)
    {
        ArgumentNullException.ThrowIfNull(queues);
        _handles = new SafeFileHandle[queues.Count];
        var fd = Libc.EventFd(0, Libc.EfdNonBlock | Libc.EfdCloExec);
        if (fd < 0)
        {
            throw Libc.Failure("eventfd for a worker", Marshal.GetLastPInvokeError());
        }
        _wakeup = new SafeFileHandle(fd, ownsHandle: true);
        _fds = (Libc.PollFd*)NativeMemory.AllocZeroed((nuint)(queues.Count + 1), (nuint)sizeof(Libc.PollFd));
        for (var i = 0; i < queues.Count; i++)
        {
            var handle = queues[i].Device.QueueHandle(queues[i].Queue);
            var added = false;
            handle.DangerousAddRef(ref added);
            _handles[i] = handle;
            _fds[i] = new Libc.PollFd { Fd = (int)handle.DangerousGetHandle(), Events = Libc.PollIn };
        }
        _fds[queues.Count] = new Libc.PollFd { Fd = fd, Events = Libc.PollIn };
    }

    /// <summary>
    /// Waits until a queue has a packet, <see cref="Wake"/> is called, or <paramref name="timeoutMs"/>
    /// passes (0: only looks). A wake-up that came before the call makes it return at once.
    /// </summary>
    /// <returns>Whether a queue has a packet or a wake-up came.</returns>
    public bool Wait(int timeoutMs)
    {
        var count = (nuint)(_handles.Length + 1);
        var ready = Libc.Poll(_fds, count, timeoutMs);
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EIntr)
            {
                throw Libc.Failure("poll on a worker's queues", errno);
            }
        }
        if (_fds[_handles.Length].Revents != 0)
        {
            ulong drained;
            _ = Libc.Read((int)_wakeup.DangerousGetHandle(), (byte*)&drained, sizeof(ulong));
        }
        return ready > 0;
    }

    /// <summary>From any thread.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        // Held while writing: a swap's wake-up racing shutdown must not write into a number the kernel has given to another file.
        var added = false;
        try
        {
            _wakeup.DangerousAddRef(ref added);
            ulong one = 1;
            _ = Libc.Write((int)_wakeup.DangerousGetHandle(), (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Shut down meanwhile: nobody is left to wake.
        }
        finally
        {
            if (added)
            {
                _wakeup.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var handle in _handles)
        {
            handle.DangerousRelease();
        }
        _wakeup.Dispose();
        NativeMemory.Free(_fds);
    }
}
