using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class IcmpV4MessageTests
{
    // smoltcp src/wire/icmpv4.rs ECHO_PACKET_BYTES: echo request, id 1234, sequence abcd.
    private static readonly byte[] EchoBytes = [0x08, 0x00, 0x8e, 0xfe, 0x12, 0x34, 0xab, 0xcd, 0xaa, 0x00, 0x00, 0xff];

    [Fact]
    public void reads_every_field_of_the_echo_fixture()
    {
        Assert.True(IcmpV4Message.TryParse(EchoBytes.AsSpan(), out var icmp, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(IcmpV4Message.EchoRequest, icmp.Type);
        Assert.Equal(0, icmp.Code);
        Assert.Equal(0x8efe, icmp.Checksum);
        Assert.Equal(0x1234, icmp.Identifier);
        Assert.Equal(0xabcd, icmp.SequenceNumber);
        Assert.Equal(new byte[] { 0xaa, 0x00, 0x00, 0xff }, icmp.Body.ToArray());
        Assert.True(icmp.IsQuery);
        Assert.False(icmp.IsError);
        Assert.True(icmp.VerifyChecksum());
    }

    [Fact]
    public void setters_rebuild_the_echo_fixture_from_zeros()
    {
        var bytes = new byte[EchoBytes.Length];
        var icmp = IcmpV4Message.Unchecked(bytes);
        icmp.Type = IcmpV4Message.EchoRequest;
        icmp.Identifier = 0x1234;
        icmp.SequenceNumber = 0xabcd;
        new byte[] { 0xaa, 0x00, 0x00, 0xff }.CopyTo(icmp.Body);
        icmp.FillChecksum();
        Assert.Equal(EchoBytes, bytes);
    }

    [Fact]
    public void every_truncation_of_the_header_drops_with_Truncated()
    {
        for (var length = 0; length < IcmpV4Message.HeaderLength; length++)
        {
            Assert.False(IcmpV4Message.TryParse(EchoBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [InlineData(0, false, true)]
    [InlineData(3, true, false)]
    [InlineData(4, true, false)]
    [InlineData(5, true, false)]
    [InlineData(8, false, true)]
    [InlineData(9, false, false)]
    [InlineData(10, false, false)]
    [InlineData(11, true, false)]
    [InlineData(12, true, false)]
    [InlineData(13, false, true)]
    [InlineData(14, false, true)]
    [InlineData(17, false, true)]
    [InlineData(18, false, true)]
    [InlineData(19, false, false)]
    [InlineData(255, false, false)]
    public void classifies_types_as_errors_or_queries(byte type, bool error, bool query)
    {
        Assert.Equal(error, IcmpV4Message.IsErrorType(type));
        Assert.Equal(query, IcmpV4Message.IsQueryType(type));
    }

    [Fact]
    public void an_error_quotes_the_offending_packet_after_its_eight_byte_header()
    {
        var probe = Packets.Udp("10.137.0.5", "192.0.2.10", 33434, 33435, payload: 20, ttl: 1);
        var error = Packets.IcmpError("198.51.100.1", "10.137.0.5", IcmpV4Message.TimeExceeded, IcmpV4Message.TimeExceededInTransit, probe);
        Assert.True(Ipv4Packet.TryParse(error, out var ip, out _));
        Assert.True(IcmpV4Message.TryParse(ip.Payload, out var icmp, out _));
        Assert.True(icmp.IsError);
        Assert.Equal(probe, icmp.Body.ToArray());
        Assert.True(icmp.VerifyChecksum());
    }

    [Fact]
    public void fragmentation_needed_carries_the_next_hop_mtu()
    {
        var big = Packets.Tcp("10.137.0.5", "192.0.2.10", 40000, 443, TcpFlags.Ack, payload: 1460, dontFragment: true);
        var error = Packets.IcmpError("198.51.100.1", "10.137.0.5", IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded, big, restOfHeader: 1400);
        Assert.True(Ipv4Packet.TryParse(error, out var ip, out _));
        Assert.True(IcmpV4Message.TryParse(ip.Payload, out var icmp, out _));
        Assert.Equal(1400, icmp.NextHopMtu);
        Assert.Equal(576, ip.TotalLength);
    }

    [Fact]
    public void rewriting_the_identifier_incrementally_keeps_the_checksum_valid()
    {
        var bytes = EchoBytes.ToArray();
        var icmp = IcmpV4Message.Unchecked(bytes);
        icmp.Identifier = 0x4242;
        icmp.Checksum = Checksum.Update(icmp.Checksum, 0x1234, 0x4242);
        Assert.True(icmp.VerifyChecksum());
        Assert.Equal(icmp.ComputeChecksum(), icmp.Checksum);
    }
}
