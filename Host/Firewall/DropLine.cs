using System.Globalization;
using System.Text;
using Lethe.Domain;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>
/// One dropped packet as a line of <c>boot --log-drops</c>:
/// <c>drop rule-drop (rule r-7532f67bf0): tcp [S] 192.0.2.11:40312 -> 203.0.113.7:22 from client work, snapshot 7</c>.
/// The reason is replay's word for it, so a line and a replayed verdict can be compared.
/// </summary>
public static class DropLine
{
    public static string Of(in DropRecord drop)
    {
        var line = new StringBuilder("drop ").Append(VerdictNames.Of(drop.Reason));
        var compiled = drop.Policy.Compiled;
        if (drop.Client >= 0 && drop.Client < compiled.ClientCount && drop.RuleIndex >= 0 && drop.RuleIndex < compiled.RuleCount(drop.Client))
        {
            line.Append(" (rule ").Append(TerminalText.Safe(compiled.RuleId(drop.Client, drop.RuleIndex))).Append(')');
        }
        line.Append(": ");
        if (drop.Parsed)
        {
            AppendPacket(line, drop.Packet);
        }
        else
        {
            // Headers that could not be read are not quoted: only what is sure.
            line.Append(drop.Length.ToString("N0", CultureInfo.InvariantCulture)).Append(" bytes");
        }
        line.Append(" from ");
        if (drop.Ingress >= 0 && drop.Ingress < compiled.ClientCount)
        {
            line.Append("client ").Append(TerminalText.Safe(compiled.ClientName(drop.Ingress)));
        }
        else
        {
            line.Append("the uplink");
        }
        return line.Append(", snapshot ").Append(drop.Policy.Version.ToString(CultureInfo.InvariantCulture)).ToString();
    }

    private static void AppendPacket(StringBuilder line, in PacketInfo packet)
    {
        var v6 = packet.Version == 6;
        var ports = packet.HasPorts;
        line.Append(PacketText.Protocol(packet.Protocol, v6));
        if (packet.Protocol == IpProtocol.Tcp && ports)
        {
            line.Append(' ').Append(TcpFlags(packet.TcpFlags));
        }
        line.Append(' ');
        AppendEnd(line, packet.Source, packet.SourcePort, ports);
        line.Append(" -> ");
        AppendEnd(line, packet.Destination, packet.DestinationPort, ports);
        if (packet.Protocol is IpProtocol.Icmp or IpProtocol.IcmpV6 && !packet.IsFragment)
        {
            line.Append(" type ").Append(packet.IcmpType.ToString(CultureInfo.InvariantCulture))
                .Append(" code ").Append(packet.IcmpCode.ToString(CultureInfo.InvariantCulture));
        }
        if (packet.IsFragment)
        {
            line.Append(packet.FragmentOffset == 0 ? " (first fragment)" : " (fragment at " + packet.FragmentOffset.ToString(CultureInfo.InvariantCulture) + ")");
        }
    }

    private static void AppendEnd(StringBuilder line, NetAddress address, ushort port, bool ports)
    {
        if (ports)
        {
            PacketText.AppendWithPort(line, address, port);
        }
        else
        {
            line.Append(address.ToString());
        }
    }

    // In tcpdump's order and letters, the ACK as '.': [S], [S.], [R.], [F.], [P.], [.].
    private static readonly (byte Bit, char Letter)[] Flags = [(0x02, 'S'), (0x01, 'F'), (0x04, 'R'), (0x08, 'P'), (0x20, 'U'), (0x10, '.')];

    private static string TcpFlags(byte flags)
    {
        var text = new StringBuilder("[");
        foreach (var (bit, letter) in Flags)
        {
            if ((flags & bit) != 0)
            {
                text.Append(letter);
            }
        }
        return text.Append(']').ToString();
    }
}
