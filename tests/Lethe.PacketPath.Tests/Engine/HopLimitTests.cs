using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A packet whose TTL or hop limit runs out at the firewall is answered with time exceeded, so traceroute shows the hop.</summary>
public class HopLimitTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void an_ipv4_packet_with_ttl_running_out_is_answered_with_time_exceeded_to_the_client(byte ttl)
    {
        var probe = Packets.Udp(Work4, Remote4, 40000, 33434, payload: 24, ttl: ttl);

        var sent = _lab.FromWork(probe);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.TtlExceeded, sent.Reason);
        Assert.Equal(_lab.Work, sent.Outcome.ReplyEgress);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Uplink4), Address(Work4)), (reply.Source, reply.Destination));
        Assert.Equal((IcmpV4Message.TimeExceeded, IcmpV4Message.TimeExceededInTransit), (reply.IcmpType, reply.IcmpCode));
        Assert.Equal(probe, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void an_ipv6_packet_with_hop_limit_one_is_answered_with_icmpv6_time_exceeded()
    {
        var probe = Packets.Udp(Work6, Remote6, 40000, 33434, payload: 24, ttl: 1);

        var sent = _lab.FromWork(probe);

        Assert.Equal(DropReason.TtlExceeded, sent.Reason);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Uplink6), Address(Work6)), (reply.Source, reply.Destination));
        Assert.Equal((IcmpV6Message.TimeExceeded, IcmpV6Message.TimeExceededInTransit), (reply.IcmpType, reply.IcmpCode));
        Assert.Equal(probe, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Theory]
    [InlineData(Work6, Remote6, (byte)0)]
    [InlineData(Work6, Remote6, (byte)100)]
    [InlineData(Work6, Remote6, (byte)127)]
    [InlineData(Work4, Remote4, (byte)40)]
    [InlineData(Work4, Remote4, (byte)1)]
    [InlineData(Work4, Remote4, (byte)2)]
    [InlineData(Work4, Remote4, (byte)6)]
    [InlineData(Work4, Remote4, (byte)7)]
    [InlineData(Work4, Remote4, (byte)9)]
    [InlineData(Work4, Remote4, (byte)10)]
    public void an_icmp_message_of_an_error_type_or_one_unknown_gets_no_time_exceeded(string client, string remote, byte type)
    {
        // RFC 4443 §2.4 (e.1): no error about an ICMPv6 error, and every type below 128 is one; Linux
        // sends none about an ICMP type it does not know either, nor about those its icmp_pointers
        // table classes as errors (1, 2, 6, 7, 9, 10, beside 3, 4, 5, 11 and 12).
        var sent = _lab.FromWork(Packets.Icmp(client, remote, type, 0, new byte[56], ttl: 1));

        Assert.False(sent.Forwarded);
        Assert.True(sent.Reply.Length == 0, $"answered ICMP type {type} with ICMP type {(sent.Reply.Length > 0 ? sent.ReplyInfo.IcmpType : 0)}");
    }

    [Fact]
    public void an_echo_request_whose_ttl_runs_out_is_still_answered()
    {
        var sent = _lab.FromWork(Packets.Icmp(Work6, Remote6, IcmpV6Message.EchoRequest, 0, new byte[56], ttl: 1));

        Assert.Equal(IcmpV6Message.TimeExceeded, sent.ReplyInfo.IcmpType);
    }

    [Fact]
    public void a_packet_with_ttl_two_leaves_with_ttl_one()
    {
        var sent = _lab.Through(Packets.Udp(Work4, Remote4, 40000, 33434, payload: 24, ttl: 2), _lab.Work);

        Assert.Equal(1, sent.Info.HopLimit);
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void a_reply_whose_ttl_runs_out_is_answered_to_the_remote_quoting_the_packet_as_the_remote_sent_it()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), _lab.Work).Info.SourcePort;
        var late = Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8, ttl: 1);

        var sent = _lab.FromUplink(late);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.TtlExceeded, sent.Reason);
        Assert.Equal(Ingress.Uplink, sent.Outcome.ReplyEgress);
        Assert.Equal((Address(Uplink4), Address(Remote4)), (sent.ReplyInfo.Source, sent.ReplyInfo.Destination));
        Assert.Equal(late, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }
}
