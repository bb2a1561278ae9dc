using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// What the answer the engine wrote for a dropped packet is, read back from its bytes, for replay's
/// verdict line: what boot would send the sender (and --silent-drop leaves out).
/// </summary>
public static class ReplayAnswer
{
    /// <summary>The answer's name, the MTU it carries for a too-big answer and the pointer of a parameter problem (else null).</summary>
    public static (string Name, uint? Mtu, uint? Pointer) Of(ReadOnlySpan<byte> reply)
    {
        if (reply.Length < 20)
        {
            return ("unknown", null, null);
        }
        var v6 = reply[0] >> 4 == 6;
        var headerLength = v6 ? 40 : (reply[0] & 0x0F) * 4;
        var protocol = v6 ? reply[6] : reply[9];
        if (reply.Length < headerLength + 8)
        {
            return ("unknown", null, null);
        }
        var transport = reply[headerLength..];
        if (protocol == IpProtocol.Tcp)
        {
            return ("tcp-reset", null, null);
        }
        var (type, code) = (transport[0], transport[1]);
        if (v6)
        {
            return type switch
            {
                IcmpV6Message.DestinationUnreachable => ("admin-prohibited", null, null),
                IcmpV6Message.PacketTooBig => ("packet-too-big", BinaryPrimitives.ReadUInt32BigEndian(transport[4..]), null),
                IcmpV6Message.TimeExceeded => ("time-exceeded", null, null),
                _ => ("unknown", null, null),
            };
        }
        return (type, code) switch
        {
            (IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableAdministrativelyProhibited) => ("admin-prohibited", null, null),
            (IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded) =>
                ("fragmentation-needed", BinaryPrimitives.ReadUInt16BigEndian(transport[6..]), null),
            (IcmpV4Message.TimeExceeded, _) => ("time-exceeded", null, null),
            // IPv4 options Linux refuses: the pointer is the offset in the IP header of the octet at fault.
            (IcmpV4Message.ParameterProblem, 0) => ("parameter-problem", null, transport[4]),
            _ => ("unknown", null, null),
        };
    }
}
