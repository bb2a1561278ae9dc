using Lethe.PacketPath.Wire;

namespace Lethe.Bench.PacketPath;

/// <summary>
/// A valid IPv4/TCP packet of an exact total length, checksums included: the few lines of
/// tests/Lethe.PacketPath.Tests/Wire/Packets.cs the engine benchmark needs (no reference to the
/// test project).
/// </summary>
internal static class TcpPacket
{
    public const int HeadersLength = Ipv4Packet.MinHeaderLength + TcpSegment.MinHeaderLength;

    public static byte[] Build(NetAddress source, NetAddress destination, ushort sourcePort, ushort destinationPort, TcpFlags flags,
        int totalLength, uint sequence = 1000, uint acknowledgement = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalLength, HeadersLength);
        var bytes = new byte[totalLength];
        var tcp = TcpSegment.Unchecked(bytes.AsSpan(Ipv4Packet.MinHeaderLength));
        tcp.SourcePort = sourcePort;
        tcp.DestinationPort = destinationPort;
        tcp.SequenceNumber = sequence;
        tcp.AcknowledgementNumber = acknowledgement;
        tcp.HeaderLength = TcpSegment.MinHeaderLength;
        tcp.Flags = flags;
        tcp.WindowSize = 65535;
        var payload = tcp.Payload;
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 7 + 1);
        }
        tcp.FillChecksum(source, destination);

        bytes[0] = 0x45;
        var ip = Ipv4Packet.Unchecked(bytes);
        ip.TotalLength = checked((ushort)totalLength);
        ip.DontFragment = true;
        ip.TimeToLive = 64;
        ip.Protocol = IpProtocol.Tcp;
        ip.Source = source;
        ip.Destination = destination;
        ip.FillHeaderChecksum();
        return bytes;
    }
}
