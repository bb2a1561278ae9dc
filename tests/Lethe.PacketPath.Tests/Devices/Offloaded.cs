using System.Buffers.Binary;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>Turns a whole packet from <see cref="Packets"/> into what a TUN with offloads hands over.</summary>
internal static class Offloaded
{
    /// <summary>
    /// The packet with its L4 checksum field holding the folded, non-inverted pseudo-header sum
    /// (CHECKSUM_PARTIAL, as tcp_v4_send_check leaves it), and the header describing it: GSO of
    /// <paramref name="gsoSize"/> bytes per segment, or none when it is 0.
    /// </summary>
    public static (VirtioNetHeader Header, byte[] Packet) Partial(byte[] whole, ushort gsoSize = 0)
    {
        var packet = (byte[])whole.Clone();
        var info = Packets.Parse(packet);
        var tcp = info.Protocol == IpProtocol.Tcp;
        var checksumOffset = tcp ? VirtioNetHeader.TcpChecksumOffset : VirtioNetHeader.UdpChecksumOffset;
        var pseudo = Checksum.PseudoHeader(info.Source, info.Destination, info.Protocol, info.TotalLength - info.TransportOffset);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(info.TransportOffset + checksumOffset), (ushort)~Checksum.Finish(pseudo));
        var transportHeader = tcp ? (packet[info.TransportOffset + 12] >> 4) * 4 : UdpDatagram.HeaderLength;
        var gso = gsoSize == 0 ? VirtioGsoType.None : tcp ? (info.Version == 6 ? VirtioGsoType.TcpV6 : VirtioGsoType.TcpV4) : VirtioGsoType.UdpL4;
        var header = new VirtioNetHeader(
            VirtioNetFlags.NeedsChecksum,
            gso,
            gsoSize == 0 ? (ushort)0 : (ushort)(info.TransportOffset + transportHeader),
            gsoSize,
            (ushort)info.TransportOffset,
            checksumOffset);
        return (header, packet);
    }

    /// <summary>The header bytes followed by the packet: one TUN write.</summary>
    public static byte[] Frame(VirtioNetHeader header, byte[] packet)
    {
        var frame = new byte[VirtioNetHeader.Size + packet.Length];
        header.WriteTo(frame);
        packet.CopyTo(frame, VirtioNetHeader.Size);
        return frame;
    }
}
