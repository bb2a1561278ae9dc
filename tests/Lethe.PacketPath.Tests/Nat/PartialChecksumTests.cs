using System.Buffers.Binary;
using Lethe.PacketPath.Devices;
using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tests.Wire;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Nat;

/// <summary>
/// A TUN with offloads hands over TCP and UDP with a partial checksum (the pseudo-header sum only).
/// After NAT, completing it must give the checksum of the translated packet.
/// </summary>
public class PartialChecksumTests
{
    [Theory]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.2", 6)]
    [InlineData("10.137.0.5", "192.0.2.10", "198.51.100.2", 17)]
    [InlineData("fd09::5", "2001:db8:1::10", "2001:db8:2::2", 6)]
    [InlineData("fd09::5", "2001:db8:1::10", "2001:db8:2::2", 17)]
    public void a_translated_packet_with_a_partial_checksum_completes_to_the_right_checksum(string client, string remote, string uplink, byte protocol)
    {
        var packet = protocol == 6
            ? Packets.Tcp(client, remote, 40000, 443, TcpFlags.Ack, payload: 3000)
            : Packets.Udp(client, remote, 40000, 443, payload: 3000);
        var info = Packets.Parse(packet);
        var field = info.TransportOffset + (protocol == 6 ? VirtioNetHeader.TcpChecksumOffset : VirtioNetHeader.UdpChecksumOffset);
        var transportLength = info.TotalLength - info.TransportOffset;
        var partial = (ushort)~Checksum.Finish(Checksum.PseudoHeader(info.Source, info.Destination, protocol, transportLength));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(field), partial);
        info.PartialChecksum = true;

        Assert.True(NatRewriter.RewriteSource(packet, ref info, NetAddress.Parse(uplink), 61000));

        var header = new VirtioNetHeader(VirtioNetFlags.NeedsChecksum, VirtioGsoType.None, 0, 0, (ushort)info.TransportOffset,
            protocol == 6 ? VirtioNetHeader.TcpChecksumOffset : VirtioNetHeader.UdpChecksumOffset);
        Assert.True(Segmentation.CompleteChecksum(header, packet));
        var translated = Packets.Parse(packet);
        Assert.Equal((NetAddress.Parse(uplink), (ushort)61000), (translated.Source, translated.SourcePort));
        var sum = Checksum.Add(Checksum.PseudoHeader(translated.Source, translated.Destination, protocol, transportLength), packet.AsSpan(info.TransportOffset));
        Assert.Equal(0, Checksum.Finish(sum));
    }

    [Fact]
    public void without_the_partial_flag_the_same_rewrite_keeps_a_complete_checksum_complete()
    {
        var packet = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Ack, payload: 500);
        var info = Packets.Parse(packet);

        Assert.True(NatRewriter.RewriteSource(packet, ref info, NetAddress.Parse("198.51.100.2"), 61000));

        var sum = Checksum.Add(Checksum.PseudoHeader(info.Source, info.Destination, 6, info.TotalLength - info.TransportOffset), packet.AsSpan(info.TransportOffset));
        Assert.Equal(0, Checksum.Finish(sum));
    }
}
