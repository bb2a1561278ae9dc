using System.Buffers.Binary;
using System.Text;

namespace Lethe.PacketPath.Devices;

/// <summary>
/// What rtnetlink says of one interface of the calling thread's network namespace (RTM_GETLINK by
/// name): its kind, and for a multi-queue TUN device the queues its holders have attached and
/// detached (IFLA_TUN_NUM_QUEUES and IFLA_TUN_NUM_DISABLED_QUEUES, Linux 4.15+; a detached queue
/// takes no flows, but its holder may attach it again at any time).
/// </summary>
/// <param name="Kind">IFLA_INFO_KIND ("tun" for TUN and TAP devices, "veth", "bridge", ...), or for a link
/// without one, a loopback device or a network card say, a name for its link type.</param>
public sealed record LinkInfo(string Kind, int? AttachedQueues, int? DetachedQueues)
{
    private const ushort RtmGetLink = 18;
    private const ushort RtmNewLink = 16;
    private const ushort IflaIfName = 3;
    private const ushort IflaLinkInfo = 18;
    private const ushort IflaInfoKind = 1;
    private const ushort IflaInfoData = 2;
    private const ushort IflaTunNumQueues = 8;
    private const ushort IflaTunNumDisabledQueues = 9;
    /// <summary>struct ifinfomsg; ifi_type (ARPHRD_*) is its second field.</summary>
    private const int IfInfoMsgSize = 16;
    private const int IfiTypeOffset = 2;
    private const ushort ArphrdEther = 1;
    private const ushort ArphrdLoopback = 772;

    /// <summary>A TUN or a TAP device, which `ip tuntap` makes.</summary>
    public bool IsTunOrTap => Kind == "tun";

    /// <summary>"a veth interface", "an Ethernet interface", "an interface of link type 776".</summary>
    public string Described => Kind.StartsWith("link type ", StringComparison.Ordinal)
        ? $"an interface of {Kind}"
        : $"{("aeiouAEIOU".Contains(Kind[0]) ? "an" : "a")} {Kind} interface";

    /// <exception cref="IOException">rtnetlink could not be asked, or knows no interface of that name.</exception>
    public static LinkInfo Read(string name)
    {
        using var netlink = new RtnetlinkSocket();
        Span<byte> buffer = stackalloc byte[64];
        const uint Sequence = 1;
        var request = new NetlinkMessage(buffer, RtmGetLink, NetlinkMessage.FlagRequest, Sequence, IfInfoMsgSize);
        Span<byte> ifname = stackalloc byte[Libc.IfNameSize];
        var length = Encoding.ASCII.GetBytes(name, ifname);
        ifname[length] = 0;
        request.Add(IflaIfName, ifname[..(length + 1)]);
        if (!netlink.TryAsk(request.Finish(), Sequence, RtmNewLink, out var answer, out var problem, out _))
        {
            throw new IOException($"RTM_GETLINK {name}: {problem}");
        }
        return Parse(answer);
    }

    /// <summary>Reads an RTM_NEWLINK message.</summary>
    public static LinkInfo Parse(ReadOnlySpan<byte> message)
    {
        var type = message.Length >= NetlinkMessage.HeaderSize + IfiTypeOffset + 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(message[(NetlinkMessage.HeaderSize + IfiTypeOffset)..])
            : (ushort)0;
        string? kind = null;
        int? attached = null, detached = null;
        if (NetlinkMessage.TryAttribute(message, IfInfoMsgSize, IflaLinkInfo, out var linkInfo))
        {
            if (NetlinkMessage.TryNestedAttribute(linkInfo, IflaInfoKind, out var kindValue) && kindValue.Length > 0)
            {
                var end = kindValue.IndexOf((byte)0);
                kind = Encoding.ASCII.GetString(end < 0 ? kindValue : kindValue[..end]);
            }
            if (NetlinkMessage.TryNestedAttribute(linkInfo, IflaInfoData, out var data))
            {
                attached = Count(data, IflaTunNumQueues);
                detached = Count(data, IflaTunNumDisabledQueues);
            }
        }
        return new LinkInfo(kind is { Length: > 0 } ? kind : LinkType(type), attached, detached);
    }

    private static int? Count(ReadOnlySpan<byte> data, ushort attribute) =>
        NetlinkMessage.TryNestedAttribute(data, attribute, out var value) && value.Length >= 4
            ? (int)BinaryPrimitives.ReadUInt32LittleEndian(value)
            : null;

    private static string LinkType(ushort type) => type switch
    {
        ArphrdLoopback => "loopback",
        ArphrdEther => "Ethernet",
        _ => $"link type {type}",
    };
}
