using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>Recomputes every checksum of a packet from scratch, the way the receiving host would.</summary>
internal static class WireCheck
{
    public static void ChecksumsAreValid(byte[] packet)
    {
        var info = Packets.Parse(packet);
        var bytes = packet.AsSpan(0, info.TotalLength);
        if (info.Version == 4)
        {
            Assert.True(Ipv4Packet.Unchecked(bytes).VerifyHeaderChecksum(), "the IPv4 header checksum is wrong");
        }
        var transport = bytes[info.TransportOffset..];
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                Assert.True(TcpSegment.Unchecked(transport).VerifyChecksum(info.Source, info.Destination), "the TCP checksum is wrong");
                break;
            case IpProtocol.Udp:
                Assert.True(UdpDatagram.Unchecked(transport).VerifyChecksum(info.Source, info.Destination), "the UDP checksum is wrong");
                break;
            case IpProtocol.Icmp when info.Version == 4:
                Assert.True(IcmpV4Message.Unchecked(transport).VerifyChecksum(), "the ICMP checksum is wrong");
                break;
            case IpProtocol.IcmpV6 when info.Version == 6:
                Assert.True(IcmpV6Message.Unchecked(transport).VerifyChecksum(info.Source, info.Destination), "the ICMPv6 checksum is wrong");
                break;
        }
    }

    /// <summary>The packet an ICMP error quotes, as bytes.</summary>
    public static byte[] Quote(byte[] error)
    {
        var info = Packets.Parse(error);
        Assert.True(info.IsIcmpError, "expected an ICMP error");
        return error[info.EmbeddedOffset..info.TotalLength];
    }

    /// <summary>Bytes 4-7 of an ICMP message: the MTU, pointer or unused word.</summary>
    public static uint RestOfHeader(byte[] packet)
    {
        var info = Packets.Parse(packet);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(info.TransportOffset + 4));
    }

    public static NetAddress Address(string text) => NetAddress.Parse(text);
}
