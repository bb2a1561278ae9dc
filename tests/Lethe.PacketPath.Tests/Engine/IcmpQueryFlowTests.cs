using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// An ICMP query flow carries the request that opened it and that request's reply, nothing else:
/// an `icmptype=` rule that allows echo does not let other queries ride on an echo's identifier,
/// and a policy swap re-checks a flow by the request that really opened it.
/// </summary>
public class IcmpQueryFlowTests
{
    private const uint Id77 = 77u << 16;

    [Fact]
    public void a_timestamp_request_with_an_allowed_echos_identifier_is_not_let_through()
    {
        var lab = new EngineLab(["action=accept proto=icmp icmptype=8"]);
        lab.Through(Packets.Icmp(Work4, Remote4, IcmpV4Message.EchoRequest, 0, new byte[8], restOfHeader: Id77), lab.Work);

        var timestamp = lab.FromWork(Packets.Icmp(Work4, Remote4, IcmpV4Message.TimestampRequest, 0, new byte[12], restOfHeader: Id77));
        var echoAgain = lab.FromWork(Packets.Icmp(Work4, Remote4, IcmpV4Message.EchoRequest, 0, new byte[8], restOfHeader: Id77 | 2));

        Assert.Equal(DropReason.IcmpNotOfFlow, timestamp.Reason);
        Assert.True(echoAgain.Forwarded, echoAgain.Reason.ToString());
    }

    [Fact]
    public void a_node_information_query_does_not_ride_on_an_icmpv6_echo()
    {
        var lab = new EngineLab(["action=accept proto=icmp icmptype=128"]);
        lab.Through(Packets.Icmp(Work6, Remote6, IcmpV6Message.EchoRequest, 0, new byte[8], restOfHeader: 0), lab.Work);

        var query = lab.FromWork(Packets.Icmp(Work6, Remote6, IcmpV6Message.NodeInformationQuery, 0, new byte[16]));

        Assert.False(query.Forwarded);
        Assert.Equal(DropReason.IcmpNotOfFlow, query.Reason);
    }

    [Theory]
    [InlineData(IcmpV4Message.EchoReply, true)]
    [InlineData(IcmpV4Message.EchoRequest, false)]
    [InlineData(IcmpV4Message.TimestampRequest, false)]
    [InlineData(IcmpV4Message.TimestampReply, false)]
    public void the_pinged_host_gets_only_its_echo_reply_back_through_the_flow(byte type, bool passes)
    {
        var lab = new EngineLab(["action=accept proto=icmp icmptype=8"]);
        var natId = (uint)lab.Through(Packets.Icmp(Work4, Remote4, IcmpV4Message.EchoRequest, 0, new byte[8], restOfHeader: Id77), lab.Work)
            .Info.SourcePort;

        var back = lab.FromUplink(Packets.Icmp(Remote4, Uplink4, type, 0, new byte[12], restOfHeader: natId << 16));

        Assert.Equal(passes, back.Forwarded);
        Assert.Equal(passes ? DropReason.None : DropReason.IcmpNotOfFlow, back.Reason);
    }

    [Fact]
    public void a_client_answered_by_another_client_may_not_send_it_queries_in_that_flow()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"], personal: ["action=accept"]);
        lab.Through(Packets.IcmpEcho(Work4, Personal4, id: 9, sequence: 1, request: true), lab.Work);

        var request = lab.FromPersonal(Packets.IcmpEcho(Personal4, Work4, id: 9, sequence: 1, request: true));

        Assert.Equal(DropReason.IcmpNotOfFlow, request.Reason);
    }

    [Fact]
    public void a_swap_to_the_same_rules_keeps_a_timestamp_flow()
    {
        var lab = new EngineLab(["action=accept proto=icmp icmptype=13"]);
        lab.Through(Packets.Icmp(Work4, Remote4, IcmpV4Message.TimestampRequest, 0, new byte[12], restOfHeader: Id77), lab.Work);

        var cut = lab.Engine.Swap(WorkOnly(["action=accept proto=icmp icmptype=13"], version: 2), lab.Now);

        Assert.Equal(0, cut);
        Assert.Equal(1, lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_swap_that_drops_timestamps_cuts_a_timestamp_flow_and_keeps_an_echo()
    {
        var lab = new EngineLab(["action=accept proto=icmp"]);
        lab.Through(Packets.Icmp(Work4, Remote4, IcmpV4Message.TimestampRequest, 0, new byte[12], restOfHeader: Id77), lab.Work);
        lab.Through(Packets.Icmp(Work4, Remote4, IcmpV4Message.EchoRequest, 0, new byte[8], restOfHeader: 78u << 16), lab.Work);

        var cut = lab.Engine.Swap(WorkOnly(["action=drop proto=icmp icmptype=13", "action=accept proto=icmp"], version: 2), lab.Now);

        Assert.Equal(1, cut);
        Assert.Equal(1, lab.Engine.Connections.Count);
    }
}
