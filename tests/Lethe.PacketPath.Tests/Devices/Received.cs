using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Devices;

/// <summary>One packet read from the device: its header (None without IFF_VNET_HDR), the IP packet, and what the parser made of it.</summary>
internal sealed record Received(VirtioNetHeader Header, byte[] Packet, PacketInfo Info)
{
    public TcpSegment Tcp => TcpSegment.Unchecked(Packet.AsSpan(Info.TransportOffset, Info.TotalLength - Info.TransportOffset));
}
