using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// Reads a TUN device's MTU in whatever network namespace the device is in now. A device the
/// firewall created is moved into its client's namespace after boot and configured there, MTU
/// included, where its name means nothing in the firewall's own namespace. So the reader asks the
/// device for its namespace (TUNGETDEVNETNS) and its current name (TUNGETIFF, which follows a
/// rename), and asks rtnetlink for that link in that namespace (RTM_GETLINK with
/// IFLA_TARGET_NETNSID, the namespace's id as seen from here, which the kernel gives a namespace a
/// device moves to and the reader assigns otherwise).
/// </summary>
/// <remarks>
/// All of it needs CAP_NET_ADMIN over the device's namespace, nothing more (no setns, so no
/// CAP_SYS_ADMIN): the capability the firewall has when it creates its devices. A firewall
/// without it gets the reason. One reader is used by one thread at a time.
/// </remarks>
public sealed unsafe class DeviceMtuReader : IDisposable
{
    private const ushort RtmGetLink = 18;
    private const ushort RtmNewLink = 16;
    private const ushort RtmNewNsid = 88;
    private const ushort RtmGetNsid = 90;
    private const ushort IflaIfName = 3;
    private const ushort IflaMtu = 4;
    private const ushort IflaTargetNetnsid = 46;
    private const ushort NetnsaNsid = 1;
    private const ushort NetnsaFd = 3;
    private const int NsidNotAssigned = -1;
    private const int EExist = 17;
    /// <summary>struct rtgenmsg (one byte, padded to 4) and struct ifinfomsg.</summary>
    private const int RtGenMsgSize = 1;
    private const int IfInfoMsgSize = 16;

    private readonly RtnetlinkSocket _netlink;
    private readonly string _home;
    private readonly byte[] _request = new byte[256];
    private uint _sequence;

    /// <exception cref="IOException">The netlink socket could not be opened.</exception>
    public DeviceMtuReader()
    {
        // The namespace the socket is opened in is the one namespace ids are relative to.
        _home = new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";
        _netlink = new RtnetlinkSocket();
    }

    /// <summary>The device's MTU now, or false with the reason (the device is closed or gone, or the firewall may not look into its namespace).</summary>
    public bool TryRead(TunDevice device, out int mtu, out string problem)
    {
        mtu = 0;
        var queue = device.QueueHandle(0);
        var added = false;
        try
        {
            queue.DangerousAddRef(ref added);
            var fd = (int)queue.DangerousGetHandle();
            if (!TryCurrentName(fd, out var name, out problem))
            {
                return false;
            }
            var ns = Libc.Ioctl(fd, Libc.TunGetDevNetns, (nuint)0);
            if (ns < 0)
            {
                problem = Libc.Failure("TUNGETDEVNETNS", Marshal.GetLastPInvokeError()).Message;
                return false;
            }
            int? nsid = null;
            using (new SafeFileHandle(ns, ownsHandle: true))
            {
                if (new FileInfo($"/proc/self/fd/{ns}").LinkTarget != _home)
                {
                    if (!TryNamespaceId(ns, out var id, out problem))
                    {
                        return false;
                    }
                    nsid = id;
                }
            }
            return TryLinkMtu(name, nsid, out mtu, out problem);
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
        // Byte for byte: the client names the device in its own namespace, and Linux takes any bytes there but
        // '/', ':' and blanks; read as ASCII, a name such as "wörk" became "w??rk", which no link is called.
        var bytes = new ReadOnlySpan<byte>(ifreq, Libc.IfNameSize);
        var end = bytes.IndexOf((byte)0);
        name = Encoding.Latin1.GetString(bytes[..(end < 0 ? Libc.IfNameSize : end)]);
        problem = "";
        return true;
    }

    /// <summary>A name read byte for byte, as a person reads it in the log: UTF-8, with what a terminal would obey escaped.</summary>
    private static string Shown(string name) => Lethe.Domain.TerminalText.Safe(Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(name)));

    /// <summary>The id the namespace behind <paramref name="ns"/> has here, assigning one when it has none yet.</summary>
    private bool TryNamespaceId(int ns, out int nsid, out string problem)
    {
        if (!TryGetNamespaceId(ns, out nsid, out problem))
        {
            return false;
        }
        if (nsid != NsidNotAssigned)
        {
            return true;
        }
        var assign = new NetlinkMessage(_request, RtmNewNsid, NetlinkMessage.FlagRequest | NetlinkMessage.FlagAck, ++_sequence, RtGenMsgSize);
        assign.Add(NetnsaFd, ns);
        assign.Add(NetnsaNsid, NsidNotAssigned);
        // EEXIST: another process assigned one meanwhile, which the second look finds.
        if (!_netlink.TryAsk(assign.Finish(), _sequence, NetlinkMessage.Error, out _, out problem, out var errno) && errno != EExist)
        {
            problem = $"RTM_NEWNSID: {problem}";
            return false;
        }
        if (!TryGetNamespaceId(ns, out nsid, out problem))
        {
            return false;
        }
        problem = nsid == NsidNotAssigned ? "the device's network namespace has no id here" : "";
        return nsid != NsidNotAssigned;
    }

    private bool TryGetNamespaceId(int ns, out int nsid, out string problem)
    {
        nsid = NsidNotAssigned;
        var request = new NetlinkMessage(_request, RtmGetNsid, NetlinkMessage.FlagRequest, ++_sequence, RtGenMsgSize);
        request.Add(NetnsaFd, ns);
        if (!_netlink.TryAsk(request.Finish(), _sequence, RtmNewNsid, out var answer, out problem, out _))
        {
            problem = $"RTM_GETNSID: {problem}";
            return false;
        }
        if (!NetlinkMessage.TryAttribute(answer, RtGenMsgSize, NetnsaNsid, out var value) || value.Length < 4)
        {
            problem = "RTM_GETNSID: the answer has no NETNSA_NSID";
            return false;
        }
        nsid = BinaryPrimitives.ReadInt32LittleEndian(value);
        return true;
    }

    private bool TryLinkMtu(string name, int? nsid, out int mtu, out string problem)
    {
        mtu = 0;
        var request = new NetlinkMessage(_request, RtmGetLink, NetlinkMessage.FlagRequest, ++_sequence, IfInfoMsgSize);
        Span<byte> ifname = stackalloc byte[Libc.IfNameSize];
        var length = Encoding.Latin1.GetBytes(name, ifname);
        ifname[length] = 0;
        request.Add(IflaIfName, ifname[..(length + 1)]);
        if (nsid is { } id)
        {
            request.Add(IflaTargetNetnsid, id);
        }
        if (!_netlink.TryAsk(request.Finish(), _sequence, RtmNewLink, out var answer, out problem, out _))
        {
            problem = $"RTM_GETLINK {Shown(name)}: {problem}";
            return false;
        }
        if (!NetlinkMessage.TryAttribute(answer, IfInfoMsgSize, IflaMtu, out var value) || value.Length < 4)
        {
            problem = $"RTM_GETLINK {Shown(name)}: the answer has no IFLA_MTU";
            return false;
        }
        mtu = (int)BinaryPrimitives.ReadUInt32LittleEndian(value);
        return true;
    }

    public void Dispose() => _netlink.Dispose();
}
