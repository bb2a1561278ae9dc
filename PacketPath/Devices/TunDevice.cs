using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// A Linux TUN device opened through /dev/net/tun with IFF_TUN|IFF_NO_PI, and optionally the
/// virtio-net header with checksum and segmentation offloads, and several queues. Each queue is a
/// file descriptor; give each one worker thread that loops over <see cref="Read"/>, with a buffer
/// of <see cref="MaxReadLength"/> bytes it owns (pinned once, e.g. on the Pinned Object Heap).
/// </summary>
/// <remarks>
/// <para>
/// I/O is read(2)/write(2) through P/Invoke on the caller's span, pinned for the call: RandomAccess
/// refuses non-seekable handles before .NET 11 (dotnet/runtime#58381), and nothing is allocated
/// per packet.
/// </para>
/// <para>
/// Shutdown: the queue descriptors are non-blocking. A read that finds nothing waits in poll(2) on
/// its queue and on an eventfd that <see cref="Dispose"/> signals, so every blocked reader and
/// writer wakes, and <see cref="Read"/> returns 0. Closing the descriptor alone would not wake a
/// thread blocked in read(2): the call holds its own reference to the file. Each call holds a
/// reference on its <see cref="SafeHandle"/>, so a descriptor is closed only after the last call on it
/// returns, and its number cannot be reused under a running read.
/// </para>
/// <para>
/// The device lives in the network namespace of the thread that calls <see cref="Open"/>; moving
/// it with <c>ip link set NAME netns NS</c> keeps the descriptors working. <see cref="Mtu"/> and
/// <see cref="InterfaceIndex"/> go through a socket opened with the device, so they name the
/// device in the namespace it was opened in.
/// </para>
/// </remarks>
public sealed unsafe class TunDevice : IDisposable
{
    /// <summary>MAX_TAP_QUEUES in drivers/net/tun.c.</summary>
    public const int MaxQueues = 256;

    /// <summary>The largest IP packet a TUN read returns with the default GSO limit (GSO_LEGACY_MAX_SIZE).</summary>
    public const int MaxPacketLength = 65535;

    private readonly SafeFileHandle[] _queues;
    private readonly SafeFileHandle _wakeup;
    private readonly SafeFileHandle _control;
    private readonly DeviceClaim? _claim;
    private long _droppedWrites;
    private int _disposed;

    private TunDevice(string name, SafeFileHandle[] queues, SafeFileHandle wakeup, SafeFileHandle control, int index, bool virtioHeader, TunOffloads offloads,
        DeviceClaim? claim)
    {
        _claim = claim;
        Name = name;
        _queues = queues;
        _wakeup = wakeup;
        _control = control;
        InterfaceIndex = index;
        HasVirtioHeader = virtioHeader;
        Offloads = offloads;
    }

    /// <summary>The interface name the kernel settled on (it fills in a pattern such as "tun%d").</summary>
    public string Name { get; }

    public int InterfaceIndex { get; }

    public int QueueCount => _queues.Length;

    /// <summary>Every read returns, and every write must start with, a <see cref="VirtioNetHeader"/>.</summary>
    public bool HasVirtioHeader { get; }

    /// <summary>Why the device's name could not be claimed for this process though it was opened (<see cref="DeviceClaim"/>), or null.</summary>
    public string? ClaimWarning => _claim?.Warning;

    /// <summary>The offloads the kernel accepted; <see cref="TunOffloads.None"/> without the virtio header.</summary>
    public TunOffloads Offloads { get; }

    /// <summary>The buffer length a read needs so that no packet is cut: the header and 64 KiB.</summary>
    public int MaxReadLength => (HasVirtioHeader ? VirtioNetHeader.Size : 0) + MaxPacketLength;

    /// <summary>Writes the kernel refused for the packet's sake (EINVAL, EIO, ENOMEM, ...), or that met a disposed device.</summary>
    public long DroppedWrites => Interlocked.Read(ref _droppedWrites);

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Creates the TUN device <paramref name="name"/>, or attaches to it when it exists (then the
    /// caller needs only CAP_NET_ADMIN or to own it), opening <see cref="TunOptions.Queues"/> queues.
    /// An empty name lets the kernel pick one. A device it creates is owned by the caller's effective
    /// user, so no other user without CAP_NET_ADMIN can attach a queue to it.
    /// </summary>
    /// <exception cref="IOException">The kernel refused; the message has the request, flags and errno.</exception>
    public static TunDevice Open(string name, TunOptions options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        if (name.Length >= Libc.IfNameSize || !Ascii.IsValid(name))
        {
            throw new ArgumentException($"An interface name is at most {Libc.IfNameSize - 1} ASCII characters; \"{name}\" is not.", nameof(name));
        }
        if (options.Queues is < 1 or > MaxQueues)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Queues, $"A TUN device has 1 to {MaxQueues} queues.");
        }
        var multiQueue = options.MultiQueue || options.Queues > 1;
        var flags = (short)(Libc.IffTun | Libc.IffNoPi
            | (options.VirtioHeader ? Libc.IffVnetHdr : 0)
            | (multiQueue ? Libc.IffMultiQueue : 0));

        var queues = new SafeFileHandle[options.Queues];
        SafeFileHandle? wakeup = null;
        SafeFileHandle? control = null;
        DeviceClaim? claim = null;
        try
        {
            control = OpenControlSocket(name);
            // A name the kernel picks (none, or a pattern such as "tun%d") is a new device: nobody else's.
            var picked = name.Length == 0 || name.Contains('%');
            var existed = !picked && TryInterfaceIndex(control, name) > 0;
            claim = picked ? null : DeviceClaim.Take(name);
            var offloads = TunOffloads.None;
            for (var i = 0; i < queues.Length; i++)
            {
                queues[i] = OpenQueue(ref name, flags, i, queues.Length, existed);
                if (i == 0 && !existed)
                {
                    // Before the other queues: the kernel lets anyone who may open /dev/net/tun attach a
                    // queue to a multi-queue device without an owner, and read or write its flows.
                    SetOwner(queues[0], name);
                }
                if (i == 0 && existed && (ReadFlags(queues[0], name) & Libc.IffPersist) == 0)
                {
                    // Only the process that created a device that is not persistent keeps it alive: this
                    // one would share its queues, and the kernel would spread flows over both.
                    throw new IOException($"{name} exists and is not persistent, so another process holds it open; stop that process or give another name");
                }
                if (i == 0)
                {
                    // A created device too: another user may have attached in the moment before it had an owner.
                    RefuseIfHeld(queues[0], name, flags);
                }
                if (i == 0 && options.VirtioHeader)
                {
                    // Set, not assumed: a device created beforehand may have been given another size.
                    SetVirtioHeaderSize(queues[0], name);
                    offloads = SetOffloads(queues[0], name, options.Offloads);
                }
                else if (i == 0)
                {
                    // The kernel keeps a device's offloads across opens: a persistent one that ran with them
                    // would hand over partial checksums and 64 KiB packets with no header to say so.
                    SetOffloads(queues[0], name, TunOffloads.None);
                }
            }
            wakeup = OpenEventFd(name);
            var index = InterfaceRequest(control, name, Libc.SiocGIfIndex, "SIOCGIFINDEX");
            return new TunDevice(name, queues, wakeup, control, index, options.VirtioHeader, offloads, claim);
        }
        catch
        {
            foreach (var queue in queues)
            {
                queue?.Dispose();
            }
            wakeup?.Dispose();
            control?.Dispose();
            claim?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="program"/> (a loaded socket filter, or null to remove one) the device's
    /// steering program (TUNSETSTEERINGEBPF): for every packet the kernel hands the device, its
    /// return value modulo the number of queues is the queue the packet waits in, in place of the
    /// kernel's own choice (the queue that last wrote the flow). The device holds the program until
    /// it is replaced or the device is deleted, across closes of a persistent device.
    /// </summary>
    /// <returns>0, or the errno of the refusal.</returns>
    public int Steer(SafeHandle? program)
    {
        var handle = _queues[0];
        var added = false;
        var programAdded = false;
        try
        {
            if (!TryAddRef(handle, ref added) || (program is not null && !TryAddRef(program, ref programAdded)))
            {
                return Libc.EBadF;
            }
            var fd = program is null ? -1 : (int)program.DangerousGetHandle();
            return Libc.Ioctl((int)handle.DangerousGetHandle(), Libc.TunSetSteeringEbpf, &fd) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            if (programAdded)
            {
                program!.DangerousRelease();
            }
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Reads one packet (after its <see cref="VirtioNetHeader"/> when <see cref="HasVirtioHeader"/>)
    /// into <paramref name="buffer"/>, waiting for one. Returns its length, or 0 once the device is
    /// disposed. One thread per queue. The buffer should hold <see cref="MaxReadLength"/> bytes: the
    /// kernel cuts a longer packet to the buffer without saying so (measured on 6.18), and its IP
    /// length then makes the parser drop it as truncated.
    /// </summary>
    /// <exception cref="IOException">The device failed, e.g. it was deleted (EBADFD).</exception>
    public int Read(int queue, Span<byte> buffer)
    {
        var handle = _queues[queue];
        var added = false;
        if (!TryAddRef(handle, ref added))
        {
            return 0;
        }
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            while (!IsDisposed)
            {
                var length = ReadOnce(fd, queue, buffer);
                if (length >= 0)
                {
                    return length;
                }
                if (!WaitFor(fd, Libc.PollIn))
                {
                    return 0;
                }
            }
            return 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Reads one packet if one is waiting, without waiting: its length, or 0 when none is (or the
    /// device is disposed). For a worker that serves one queue of several devices and waits for all
    /// of them at once in a <see cref="QueuePoller"/>.
    /// </summary>
    /// <exception cref="IOException">The device failed, e.g. it was deleted (EBADFD).</exception>
    public int TryRead(int queue, Span<byte> buffer)
    {
        var handle = _queues[queue];
        var added = false;
        if (!TryAddRef(handle, ref added))
        {
            return 0;
        }
        try
        {
            return Math.Max(0, ReadOnce((int)handle.DangerousGetHandle(), queue, buffer));
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>One read(2), retried on EINTR: the packet's length, or -1 when none is waiting.</summary>
    private int ReadOnce(int fd, int queue, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            while (true)
            {
                var length = Libc.Read(fd, pointer, (nuint)buffer.Length);
                if (length >= 0)
                {
                    return (int)length;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EAgain)
                {
                    return -1;
                }
                if (errno != Libc.EIntr)
                {
                    throw QueueFailure($"read from TUN {Name} queue {queue} ({buffer.Length}-byte buffer)", errno);
                }
            }
        }
    }

    /// <summary>
    /// A queue's read or write failing ends the firewall; EBADFD, whose text ("File descriptor in bad
    /// state") says nothing of why, is the kernel's answer once the device is deleted under it.
    /// </summary>
    private static IOException QueueFailure(string what, int errno)
    {
        var failure = Libc.Failure(what, errno);
        return errno == Libc.EBadFd
            ? new IOException($"{failure.Message}: the device is gone (deleted, or its queue detached)", failure)
            : failure;
    }

    /// <summary>The descriptor of one queue, for <see cref="QueuePoller"/>, which holds a reference on it while it polls.</summary>
    internal SafeFileHandle QueueHandle(int queue) => _queues[queue];

    /// <summary>
    /// Writes one packet, which starts with its <see cref="VirtioNetHeader"/> when
    /// <see cref="HasVirtioHeader"/>. A packet the kernel refuses (or a device already closed) is
    /// counted in <see cref="DroppedWrites"/>, not thrown: the packet path never throws per packet.
    /// </summary>
    /// <returns>Whether the kernel took the packet.</returns>
    /// <exception cref="IOException">The device failed, e.g. it was deleted (EBADFD).</exception>
    public bool Write(int queue, ReadOnlySpan<byte> buffer)
    {
        var handle = _queues[queue];
        var added = false;
        if (!TryAddRef(handle, ref added))
        {
            Interlocked.Increment(ref _droppedWrites);
            return false;
        }
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            fixed (byte* pointer = buffer)
            {
                while (!IsDisposed)
                {
                    if (Libc.Write(fd, pointer, (nuint)buffer.Length) >= 0)
                    {
                        return true;
                    }
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Libc.EAgain)
                    {
                        if (!WaitFor(fd, Libc.PollOut))
                        {
                            break;
                        }
                    }
                    else if (IsRefusedPacket(errno))
                    {
                        break;
                    }
                    else if (errno != Libc.EIntr)
                    {
                        throw QueueFailure($"write of {buffer.Length} bytes to TUN {Name} queue {queue}", errno);
                    }
                }
                Interlocked.Increment(ref _droppedWrites);
                return false;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>SIOCGIFMTU/SIOCSIFMTU on the device.</summary>
    /// <exception cref="IOException">The kernel refused, e.g. an MTU below 68 or above 65535 (EINVAL).</exception>
    public int Mtu
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return InterfaceRequest(_control, Name, Libc.SiocGIfMtu, "SIOCGIFMTU");
        }
        set
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            InterfaceRequest(_control, Name, Libc.SiocSIfMtu, "SIOCSIFMTU", value);
        }
    }

    /// <summary>
    /// For shutdown, before the threads that use the device are joined: every <see cref="Read"/> or
    /// <see cref="Write"/> waiting on a queue returns at once (0, false), and so does every later one
    /// that would wait. A worker stuck on a full queue would otherwise hold the shutdown up.
    /// </summary>
    public void Interrupt()
    {
        ulong one = 1;
        var added = false;
        if (TryAddRef(_wakeup, ref added))
        {
            // Nobody drains the eventfd, so it stays readable and wakes every later poll too.
            _ = Libc.Write((int)_wakeup.DangerousGetHandle(), (byte*)&one, sizeof(ulong));
            _wakeup.DangerousRelease();
        }
    }

    /// <summary>Wakes every blocked <see cref="Read"/> (which returns 0) and <see cref="Write"/>, then closes the queues; a non-persistent device goes away with its last queue.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Interrupt();
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
        _wakeup.Dispose();
        _control.Dispose();
        _claim?.Dispose();
    }

    /// <summary>drivers/net/tun.c tun_get_user and virtio_net_hdr_to_skb refuse one packet with these; the device is still fine.</summary>
    private static bool IsRefusedPacket(int errno) =>
        errno is Libc.EInval or Libc.EIo or Libc.ENoMem or Libc.ENoBufs or Libc.EMsgSize or Libc.EFault;

    private static bool TryAddRef(SafeHandle handle, ref bool added)
    {
        try
        {
            handle.DangerousAddRef(ref added);
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Waits until <paramref name="fd"/> is ready for <paramref name="events"/>; false when the device is being disposed.</summary>
    private bool WaitFor(int fd, short events)
    {
        var added = false;
        if (!TryAddRef(_wakeup, ref added))
        {
            return false;
        }
        try
        {
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = fd, Events = events };
            fds[1] = new Libc.PollFd { Fd = (int)_wakeup.DangerousGetHandle(), Events = Libc.PollIn };
            while (Libc.Poll(fds, 2, -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EIntr)
                {
                    throw Libc.Failure($"poll on TUN {Name}", errno);
                }
            }
            // An error or hang-up on the queue is left for the next read or write to report.
            return fds[1].Revents == 0;
        }
        finally
        {
            _wakeup.DangerousRelease();
        }
    }

    /// <summary>The index of <paramref name="name"/> in this network namespace, or 0 when there is no such interface.</summary>
    private static int TryInterfaceIndex(SafeFileHandle control, string name)
    {
        try
        {
            return InterfaceRequest(control, name, Libc.SiocGIfIndex, "SIOCGIFINDEX");
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The device's flags as the kernel has them (TUNGETIFF): IFF_TUN or IFF_TAP, IFF_VNET_HDR, IFF_MULTI_QUEUE, IFF_PERSIST, ...</summary>
    private static short ReadFlags(SafeFileHandle queue, string name)
    {
        var request = stackalloc byte[Libc.IfReqSize];
        new Span<byte>(request, Libc.IfReqSize).Clear();
        if (Libc.Ioctl((int)queue.DangerousGetHandle(), Libc.TunGetIff, request) < 0)
        {
            throw Libc.Failure($"TUNGETIFF on {name}", Marshal.GetLastPInvokeError());
        }
        return MemoryMarshal.Read<short>(new ReadOnlySpan<byte>(request + Libc.IfNameSize, 2));
    }

    /// <summary>
    /// Refuses a device of which another program holds a queue, attached or detached (which it may
    /// attach again at any time), while <paramref name="queue"/> is this process's only one: the
    /// kernel would split the device's flows between the two programs, and it keeps the flags the first
    /// holder set (TUNSETIFF on a device with other queues changes none), so a device without the
    /// virtio-net header, say, would have every packet's first bytes read as one.
    /// </summary>
    private static void RefuseIfHeld(SafeFileHandle queue, string name, short flags)
    {
        var reasons = new List<string>();
        var link = LinkInfo.Read(name);
        var others = (link.AttachedQueues ?? 1) + (link.DetachedQueues ?? 0) - 1;
        if (others > 0)
        {
            reasons.Add($"{others} other queue(s) of it are open: {link.AttachedQueues - 1} attached, {link.DetachedQueues ?? 0} detached");
        }
        // The kernel refuses another type or queueing (EINVAL), so the header is what can differ. IFF_NO_PI
        // cannot be told: TUNGETIFF reports IFF_NOFILTER, a queue without a socket filter, in the same bit.
        var kept = ReadFlags(queue, name);
        if ((kept & Libc.IffVnetHdr) != (flags & Libc.IffVnetHdr))
        {
            reasons.Add($"the device keeps the flags that program set: vnet_hdr {OnOff(kept, Libc.IffVnetHdr)} where {OnOff(flags, Libc.IffVnetHdr)} was asked for");
        }
        if (reasons.Count > 0)
        {
            throw new IOException($"{name} is held by another program ({string.Join("; ", reasons)}); stop that program or give another name");
        }
    }

    private static string OnOff(short flags, short flag) => (flags & flag) != 0 ? "on" : "off";

    private static SafeFileHandle OpenQueue(ref string name, short flags, int queue, int queues, bool existed)
    {
        int fd;
        fixed (byte* path = "/dev/net/tun\0"u8)
        {
            fd = Libc.Open(path, Libc.ORdWr | Libc.ONonBlock | Libc.OCloExec);
        }
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            var failure = Libc.Failure("open /dev/net/tun", errno);
            // Mode 0600 on some distributions: a firewall run as its own user is refused before any device is named.
            throw errno == Libc.EAcces
                ? new IOException($"{failure.Message}: this process's user (uid {Libc.GetEuid()}) needs read and write access to /dev/net/tun " +
                    "(mode 0666 on most distributions; else a udev rule, or a container's device rule, gives it)", failure)
                : failure;
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var request = stackalloc byte[Libc.IfReqSize];
            var ifreq = new Span<byte>(request, Libc.IfReqSize);
            ifreq.Clear();
            WriteName(ifreq, name);
            MemoryMarshal.Write(ifreq[Libc.IfNameSize..], in flags);
            if (Libc.Ioctl(fd, Libc.TunSetIff, request) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                var failure = Libc.Failure($"TUNSETIFF for \"{name}\" (flags 0x{flags:x4}, queue {queue + 1} of {queues})", errno);
                throw errno switch
                {
                    Libc.EInval when existed => NotForThis(name, failure),
                    Libc.EPerm => NotPermitted(name, failure, existed),
                    _ => failure,
                };
            }
            name = ReadName(ifreq);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>TUNSETOWNER to this process's effective user: only it, or a process with CAP_NET_ADMIN, may attach to the device.</summary>
    private static void SetOwner(SafeFileHandle queue, string name)
    {
        var owner = Libc.GetEuid();
        if (Libc.Ioctl((int)queue.DangerousGetHandle(), Libc.TunSetOwner, (nuint)owner) < 0)
        {
            throw Libc.Failure($"TUNSETOWNER {owner} on {name}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>
    /// Why the kernel said EPERM, which names neither cause: a device of another user or group (only
    /// they, or CAP_NET_ADMIN, may attach), or no device of that name here and no CAP_NET_ADMIN to make
    /// one (a device made beforehand and moved into a client's namespace is no longer in this one).
    /// </summary>
    private static IOException NotPermitted(string name, IOException failure, bool existed)
    {
        var user = Libc.GetEuid();
        var create = $"`ip tuntap add dev {name} mode tun multi_queue vnet_hdr user {user}`";
        return new IOException(existed
            ? $"{failure.Message}: {name} belongs to another user or group, and only they or a process with CAP_NET_ADMIN may attach to it; " +
              $"delete it and make it for this process's user (uid {user}) as {create}"
            : $"{failure.Message}: there is no device {name} in this network namespace, and making one needs CAP_NET_ADMIN; " +
              $"if it was made beforehand and moved into a client's namespace, move it back (`ip -n NAMESPACE link set {name} netns 1` for the host's), " +
              $"else make it for this process's user (uid {user}) as {create}", failure);
    }

    /// <summary>
    /// Why an existing interface was refused (EINVAL): a TUN or TAP device made otherwise may be deleted
    /// and made again; any other kind is left alone, since it may be the host's own (lo, eth0).
    /// </summary>
    private static IOException NotForThis(string name, IOException failure)
    {
        LinkInfo? link;
        try
        {
            link = LinkInfo.Read(name);
        }
        catch (IOException)
        {
            link = null;
        }
        var create = $"`ip tuntap add dev {name} mode tun multi_queue vnet_hdr`";
        return link switch
        {
            { IsTunOrTap: false } => new IOException(
                $"{failure.Message}: {name} is {link.Described}, not a TUN device; give --uplink-tun or --client-tun a TUN device's name", failure),
            { IsTunOrTap: true } => new IOException(
                $"{failure.Message}: {name} is a TUN or TAP device not made for this (a TAP device, or a TUN device without multi_queue); delete it, or create it as {create}", failure),
            null => new IOException(
                $"{failure.Message}: {name} exists but is not a multi-queue TUN device; if it is a TUN or TAP device made otherwise, delete it and create it as {create}", failure),
        };
    }

    private static void SetVirtioHeaderSize(SafeFileHandle queue, string name)
    {
        var size = VirtioNetHeader.Size;
        if (Libc.Ioctl((int)queue.DangerousGetHandle(), Libc.TunSetVnetHdrSz, &size) < 0)
        {
            throw Libc.Failure($"TUNSETVNETHDRSZ {size} on {name}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Asks for <paramref name="wanted"/>, then without USO if that is refused, as wireguard-go does (tun/tun_linux.go).</summary>
    private static TunOffloads SetOffloads(SafeFileHandle queue, string name, TunOffloads wanted)
    {
        var fd = (int)queue.DangerousGetHandle();
        if (Libc.Ioctl(fd, Libc.TunSetOffload, (nuint)(uint)wanted) == 0)
        {
            return wanted;
        }
        var errno = Marshal.GetLastPInvokeError();
        var withoutUso = wanted & ~TunOffloads.Uso;
        if (withoutUso != wanted)
        {
            if (Libc.Ioctl(fd, Libc.TunSetOffload, (nuint)(uint)withoutUso) == 0)
            {
                return withoutUso;
            }
            errno = Marshal.GetLastPInvokeError();
        }
        throw Libc.Failure($"TUNSETOFFLOAD 0x{(uint)withoutUso:x2} ({withoutUso}) on {name}", errno);
    }

    private static SafeFileHandle OpenEventFd(string name)
    {
        var fd = Libc.EventFd(0, Libc.EfdCloExec | Libc.EfdNonBlock);
        if (fd < 0)
        {
            throw Libc.Failure($"eventfd for {name}", Marshal.GetLastPInvokeError());
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static SafeFileHandle OpenControlSocket(string name)
    {
        var fd = Libc.Socket(Libc.AfInet, Libc.SockDgram | Libc.SockCloExec, 0);
        if (fd < 0)
        {
            throw Libc.Failure($"socket(AF_INET, SOCK_DGRAM) for ioctls on {name}", Marshal.GetLastPInvokeError());
        }
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>An ifreq ioctl whose int (ifr_ifindex, ifr_mtu) sits right after the name; returns that int as the kernel left it.</summary>
    internal static int InterfaceRequest(SafeFileHandle socket, string name, uint request, string what, int value = 0)
    {
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            var bytes = stackalloc byte[Libc.IfReqSize];
            var ifreq = new Span<byte>(bytes, Libc.IfReqSize);
            ifreq.Clear();
            WriteName(ifreq, name);
            MemoryMarshal.Write(ifreq[Libc.IfNameSize..], in value);
            if (Libc.Ioctl((int)socket.DangerousGetHandle(), request, bytes) < 0)
            {
                var detail = request == Libc.SiocSIfMtu ? $" {value}" : "";
                throw Libc.Failure($"{what}{detail} on {name}", Marshal.GetLastPInvokeError());
            }
            return MemoryMarshal.Read<int>(ifreq[Libc.IfNameSize..]);
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private static void WriteName(Span<byte> ifreq, string name) =>
        Encoding.ASCII.GetBytes(name, ifreq[..(Libc.IfNameSize - 1)]);

    /// <summary>The interface name at the start of a struct ifreq, as the kernel left it (NUL-terminated unless it fills all 16 bytes).</summary>
    internal static string ReadName(ReadOnlySpan<byte> ifreq)
    {
        var end = ifreq[..Libc.IfNameSize].IndexOf((byte)0);
        return Encoding.ASCII.GetString(ifreq[..(end < 0 ? Libc.IfNameSize : end)]);
    }
}
