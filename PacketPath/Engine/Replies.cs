using System.Buffers.Binary;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Engine;

/// <summary>
/// Builds the packets the firewall itself sends: ICMP/ICMPv6 errors quoting the offending packet
/// (RFC 792, RFC 1812 §4.3.2.3, RFC 4443 §2.4) and TCP resets (RFC 9293 §3.10.7.1).
/// Each returns the length written into <c>reply</c>, 0 when none may be sent.
/// </summary>
public static class Replies
{
    private const int V4QuoteLimit = 576 - 20 - 8;
    private const int V6QuoteLimit = 1280 - 40 - 8;

    /// <summary>
    /// No error about an error, even one of a type this parser does not read as such: every ICMPv6
    /// type below 128 is an error (RFC 4443 §2.1, §2.4 (e.1)), and Linux sends none about an ICMP
    /// type it does not know (above 18, icmp_send) as about a known error, nor about the types its
    /// table classes as errors beside those this parser reads as such (1, 2, 6, 7, 9 and 10).
    /// </summary>
    private static bool IsUnknownOrErrorIcmp(in PacketInfo info) =>
        info.Version == 6
            ? info.Protocol == IpProtocol.IcmpV6 && info.IcmpType < 128
            : info.Protocol == IpProtocol.Icmp && info.IcmpType is > 18 or 1 or 2 or 6 or 7 or 9 or 10;

    public static int IcmpError(ReadOnlySpan<byte> offending, in PacketInfo info, NetAddress from, byte type, byte code, uint restOfHeader, Span<byte> reply)
    {
        // A later fragment is never answered (RFC 1812 §4.3.2.7): its quote holds payload where the sender
        // looks for ports, and answering each would spend the sender's answer budget for one datagram.
        if ((info.IsFragment && info.FragmentOffset != 0) || info.IsIcmpError || IsUnknownOrErrorIcmp(info)
            || from.IsV6 != info.Source.IsV6 || IsUnspecifiedOrMulticast(info.Source) || info.Destination.IsNeverForwarded)
        {
            return 0;
        }
        var v6 = info.Version == 6;
        var ipHeader = v6 ? 40 : 20;
        var quote = Math.Min(offending.Length, v6 ? V6QuoteLimit : V4QuoteLimit);
        var total = ipHeader + 8 + quote;
        if (reply.Length < total)
        {
            return 0;
        }
        var packet = reply[..total];
        packet.Clear();
        WriteIpHeader(packet, v6, from, info.Source, v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, total);
        var icmp = packet[ipHeader..];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], restOfHeader);
        offending[..quote].CopyTo(icmp[8..]);
        var sum = v6 ? Checksum.PseudoHeader(from, info.Source, IpProtocol.IcmpV6, icmp.Length) : 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum.Finish(Checksum.Add(sum, icmp)));
        return total;
    }

    /// <summary>A reset answering a TCP segment the policy rejects.</summary>
    public static int TcpReset(ReadOnlySpan<byte> offending, in PacketInfo info, Span<byte> reply)
    {
        var tcp = offending[info.TransportOffset..];
        if (tcp.Length < 20 || ((TcpFlags)info.TcpFlags & TcpFlags.Rst) != 0 || IsUnspecifiedOrMulticast(info.Source) || info.Destination.IsNeverForwarded)
        {
            return 0;
        }
        var v6 = info.Version == 6;
        var ipHeader = v6 ? 40 : 20;
        var total = ipHeader + 20;
        if (reply.Length < total)
        {
            return 0;
        }
        var packet = reply[..total];
        packet.Clear();
        WriteIpHeader(packet, v6, info.Destination, info.Source, IpProtocol.Tcp, total);
        var rst = packet[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(rst, info.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(rst[2..], info.SourcePort);
        var flags = (TcpFlags)info.TcpFlags;
        if ((flags & TcpFlags.Ack) != 0)
        {
            tcp[8..12].CopyTo(rst[4..]);
            rst[13] = (byte)TcpFlags.Rst;
        }
        else
        {
            var dataOffset = (tcp[12] >> 4) * 4;
            var payload = Math.Max(0, info.TotalLength - info.TransportOffset - dataOffset);
            var consumed = payload + ((flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((flags & TcpFlags.Fin) != 0 ? 1 : 0);
            BinaryPrimitives.WriteUInt32BigEndian(rst[8..], BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)consumed);
            rst[13] = (byte)(TcpFlags.Rst | TcpFlags.Ack);
        }
        rst[12] = 5 << 4;
        var sum = Checksum.PseudoHeader(info.Destination, info.Source, IpProtocol.Tcp, 20);
        BinaryPrimitives.WriteUInt16BigEndian(rst[16..], Checksum.Finish(Checksum.Add(sum, rst)));
        return total;
    }

    private static void WriteIpHeader(Span<byte> packet, bool v6, NetAddress source, NetAddress destination, byte protocol, int total)
    {
        if (v6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(total - 40));
            packet[6] = protocol;
            packet[7] = 64;
            source.WriteTo(packet[8..]);
            destination.WriteTo(packet[24..]);
            return;
        }
        packet[0] = 0x45;
        packet[1] = 0xC0; // network control precedence, as routers send their ICMP
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)total);
        packet[8] = 64;
        packet[9] = protocol;
        source.WriteTo(packet[12..]);
        destination.WriteTo(packet[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum.Compute(packet[..20]));
    }

    private static bool IsUnspecifiedOrMulticast(NetAddress address) =>
        address.Bits == 0 ||
        (address.IsV6 ? (byte)(address.Bits >> 120) == 0xFF : (address.V4Bits >> 28) == 0xE || address.V4Bits == uint.MaxValue);
}
