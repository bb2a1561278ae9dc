using System.Buffers.Binary;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.Bench.FirewallFixtures;

/// <summary>
/// A capture (raw IPv4, link type 101) of TCP SYNs, each the first packet of its own flow: for
/// client c and flow k, source port 10000+k, even k to 192.0.2.(k/2 % 254 + 1):443, odd k to
/// 203.0.113.(k/2 % 254 + 1):80. Clients take turns, 50 µs apart, so a capture of 10,000 packets
/// spans 0.5 s, well under the 120 s SYN_SENT timeout: every flow is still tracked when the replay ends.
/// </summary>
public static class SynCapture
{
    private const long StartMicros = 1_800_000_000L * 1_000_000;

    /// <param name="packetsPerFlow">More than 1 repeats each SYN (a retransmission: the same flow), one
    /// round of all clients after another: the same number of packets through the engine with few flows.</param>
    /// <returns>The number of packets written.</returns>
    public static int Write(string path, IReadOnlyList<string> clients, int flowsPerClient, int packetsPerFlow = 1)
    {
        using var file = File.Create(path);
        using var buffered = new BufferedStream(file, 1 << 16);
        var pcap = new PcapWriter(buffered);
        var packet = new byte[40];
        var n = 0;
        for (var k = 0; k < flowsPerClient; k++)
        {
            var host = k / 2 % 254 + 1;
            var (destination, port) = k % 2 == 0 ? ($"192.0.2.{host}", (ushort)443) : ($"203.0.113.{host}", (ushort)80);
            for (var repeat = 0; repeat < packetsPerFlow; repeat++)
            {
                for (var c = 0; c < clients.Count; c++)
                {
                    Syn(packet, NetAddress.Parse(clients[c]), NetAddress.Parse(destination), (ushort)(10_000 + k), port, (uint)((k * clients.Count + c) * 7919));
                    pcap.Write(StartMicros + n * 50L, packet);
                    n++;
                }
            }
        }
        pcap.Flush();
        return n;
    }

    private static void Syn(Span<byte> packet, NetAddress source, NetAddress destination, ushort sourcePort, ushort destinationPort, uint sequence)
    {
        packet.Clear();
        var ip = packet[..20];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
        ip[8] = 64;
        ip[9] = IpProtocol.Tcp;
        source.WriteTo(ip[12..16]);
        destination.WriteTo(ip[16..20]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));

        var tcp = packet[20..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)TcpFlags.Syn;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64_240);
        var sum = Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, tcp.Length), tcp);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Finish(sum));
    }
}
