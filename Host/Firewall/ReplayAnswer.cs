using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// What the answer the engine wrote for a dropped packet is, read back from its bytes, for replay's
/// verdict line: what boot would send the sender (and --silent-drop leaves out).
/// </summary>
public static class ReplayAnswer
{
    /// <summary>The answer's name, and the MTU it carries for a too-big answer (else null).</summary>
    public static (string Name, uint? Mtu) Of(ReadOnlySpan<byte> reply)
    {
        if (reply.Length < 20)
        {
            return ("unknown", null);
        }
        var v6 = reply[0] >> 4 == 6;
        var headerLength = v6 ? 40 : (reply[0] & 0x0F) * 4;
        var protocol = v6 ? reply[6] : reply[9];
        if (reply.Length < headerLength + 8)
        {
            return ("unknown", null);
        }
        var transport = reply[headerLength..];
        if (protocol == IpProtocol.Tcp)
        {
            return ("tcp-reset", null);
        }
        var (type, code) = (transport[0], transport[1]);
        if (v6)
        {
            return type switch
            {
                IcmpV6Message.DestinationUnreachable => ("admin-prohibited", null),
                IcmpV6Message.PacketTooBig => ("packet-too-big", BinaryPrimitives.ReadUInt32BigEndian(transport[4..])),
                IcmpV6Message.TimeExceeded => ("time-exceeded", null),
                _ => ("unknown", null),
            };
        }
        return (type, code) switch
        {
            (IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableAdministrativelyProhibited) => ("admin-prohibited", null),
            (IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded) =>
                ("fragmentation-needed", BinaryPrimitives.ReadUInt16BigEndian(transport[6..])),
            (IcmpV4Message.TimeExceeded, _) => ("time-exceeded", null),
            _ => ("unknown", null),
        };
    }
}
