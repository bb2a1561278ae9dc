using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Wire;

public class IcmpV6MessageTests
{
    private static readonly NetAddress Source = NetAddress.Parse("fe80::1");
    private static readonly NetAddress Destination = NetAddress.Parse("fe80::2");

    // smoltcp src/wire/icmpv6.rs ECHO_PACKET_BYTES: echo request fe80::1 → fe80::2, id 1234, sequence abcd.
    private static readonly byte[] EchoBytes = [0x80, 0x00, 0x19, 0xb3, 0x12, 0x34, 0xab, 0xcd, 0xaa, 0x00, 0x00, 0xff];

    [Fact]
    public void reads_every_field_of_the_echo_fixture()
    {
        Assert.True(IcmpV6Message.TryParse(EchoBytes.AsSpan(), out var icmp, out var reason));
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(IcmpV6Message.EchoRequest, icmp.Type);
        Assert.Equal(0, icmp.Code);
        Assert.Equal(0x19b3, icmp.Checksum);
        Assert.Equal(0x1234, icmp.Identifier);
        Assert.Equal(0xabcd, icmp.SequenceNumber);
        Assert.Equal(new byte[] { 0xaa, 0x00, 0x00, 0xff }, icmp.Body.ToArray());
        Assert.True(icmp.IsQuery);
        Assert.False(icmp.IsError);
        Assert.True(icmp.VerifyChecksum(Source, Destination));
    }

    [Fact]
    public void the_checksum_covers_the_pseudo_header()
    {
        Assert.True(IcmpV6Message.TryParse(EchoBytes.AsSpan(), out var icmp, out _));
        Assert.False(icmp.VerifyChecksum(Source, NetAddress.Parse("ff02::1")));
    }

    [Fact]
    public void setters_rebuild_the_echo_fixture_from_zeros()
    {
        var bytes = new byte[EchoBytes.Length];
        var icmp = IcmpV6Message.Unchecked(bytes);
        icmp.Type = IcmpV6Message.EchoRequest;
        icmp.Identifier = 0x1234;
        icmp.SequenceNumber = 0xabcd;
        new byte[] { 0xaa, 0x00, 0x00, 0xff }.CopyTo(icmp.Body);
        icmp.FillChecksum(Source, Destination);
        Assert.Equal(EchoBytes, bytes);
    }

    [Fact]
    public void every_truncation_of_the_header_drops_with_Truncated()
    {
        for (var length = 0; length < IcmpV6Message.HeaderLength; length++)
        {
            Assert.False(IcmpV6Message.TryParse(EchoBytes.AsSpan(0, length), out _, out var reason));
            Assert.Equal(DropReason.Truncated, reason);
        }
    }

    [Theory]
    [InlineData(0, true, false)]
    [InlineData(1, true, false)]
    [InlineData(2, true, false)]
    [InlineData(3, true, false)]
    [InlineData(4, true, false)]
    [InlineData(5, true, false)]
    [InlineData(127, true, false)]
    [InlineData(128, false, true)]
    [InlineData(129, false, true)]
    [InlineData(133, false, false)]
    [InlineData(135, false, false)]
    public void classifies_types_as_errors_or_queries(byte type, bool error, bool query)
    {
        Assert.Equal(error, IcmpV6Message.IsErrorType(type));
        Assert.Equal(query, IcmpV6Message.IsQueryType(type));
    }

    [Fact]
    public void packet_too_big_carries_the_mtu_and_quotes_up_to_1280_bytes()
    {
        var big = Packets.Tcp("2001:db8::5", "2001:db8:1::10", 40000, 443, TcpFlags.Ack, payload: 1400);
        var error = Packets.IcmpError("2001:db8:ffff::1", "2001:db8::5", IcmpV6Message.PacketTooBig, 0, big, restOfHeader: 1280);
        Assert.True(Ipv6Packet.TryParse(error, out var ip, out _));
        Assert.Equal(1280, ip.TotalLength);
        Assert.True(IcmpV6Message.TryParse(ip.Payload, out var icmp, out _));
        Assert.True(icmp.IsError);
        Assert.Equal(1280u, icmp.Mtu);
        Assert.Equal(big.AsSpan(0, 1280 - 48).ToArray(), icmp.Body.ToArray());
        Assert.True(icmp.VerifyChecksum(ip.Source, ip.Destination));
    }

    [Fact]
    public void parameter_problem_points_at_a_byte()
    {
        var bytes = new byte[8];
        var icmp = IcmpV6Message.Unchecked(bytes);
        icmp.Type = IcmpV6Message.ParameterProblem;
        icmp.Pointer = 40;
        Assert.Equal(new byte[] { 4, 0, 0, 0, 0, 0, 0, 40 }, bytes);
    }
}
