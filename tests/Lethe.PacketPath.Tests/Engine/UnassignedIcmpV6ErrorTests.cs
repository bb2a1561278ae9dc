using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// RFC 4443 §2.1 makes every ICMPv6 type below 128 an error, defines only 1-4, and asks that an
/// unknown error be passed up as one (§2.4 (d)); Linux's conntrack relates any of them that quotes a
/// tracked flow. Lethe handles types 5-127 as it handles the four it names: judged by the flow they
/// quote, translated back through NAT, from one of the flow's ends only.
/// </summary>
public class UnassignedIcmpV6ErrorTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData((byte)5)]
    [InlineData((byte)100)]
    [InlineData((byte)127)]
    public void one_from_the_uplink_about_a_clients_flow_reaches_the_client_translated(byte type)
    {
        var left = _lab.Through(Packets.Udp(Work6, Remote6, 40000, 33434, payload: 24), _lab.Work);
        var error = Packets.IcmpError(Router6, Uplink6, type, 7, left.Packet, restOfHeader: 0x01020304);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(_lab.Work, sent.Outcome.Egress);
        Assert.Equal((Address(Router6), Address(Work6), type, (byte)7), (sent.Info.Source, sent.Info.Destination, sent.Info.IcmpType, sent.Info.IcmpCode));
        var quoted = Packets.Parse(Quote(sent.Packet));
        Assert.Equal((Address(Work6), (ushort)40000, Address(Remote6), (ushort)33434),
            (quoted.Source, quoted.SourcePort, quoted.Destination, quoted.DestinationPort));
        ChecksumsAreValid(sent.Packet);
    }

    [Theory]
    [InlineData((byte)5)]
    [InlineData((byte)127)]
    public void one_from_a_client_about_a_reply_it_received_leaves_quoting_the_nat_port(byte type)
    {
        var natPort = _lab.Through(Packets.Udp(Work6, Remote6, 40000, 53, payload: 8), _lab.Work).Info.SourcePort;
        var received = _lab.FromUplink(Packets.Udp(Remote6, Uplink6, 53, natPort, payload: 8)).Packet;

        var sent = _lab.FromWork(Packets.IcmpError(Work6, Remote6, type, 0, received));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(Ingress.Uplink, sent.Outcome.Egress);
        Assert.Equal((Address(Uplink6), Address(Remote6)), (sent.Info.Source, sent.Info.Destination));
        var quoted = Packets.Parse(Quote(sent.Packet));
        Assert.Equal((Address(Uplink6), natPort), (quoted.Destination, quoted.DestinationPort));
        ChecksumsAreValid(sent.Packet);
    }

    [Theory]
    [InlineData((byte)5)]
    [InlineData((byte)127)]
    public void one_quoting_no_tracked_flow_is_dropped_from_either_side_unanswered(byte type)
    {
        var fromUplink = _lab.FromUplink(Packets.IcmpError(Router6, Uplink6, type, 0, Packets.Udp(Uplink6, Remote6, 40000, 53, payload: 8)));
        var fromClient = _lab.FromWork(Packets.IcmpError(Work6, Remote6, type, 0, Packets.Udp(Remote6, Work6, 53, 40000, payload: 8)));

        Assert.Equal((false, DropReason.IcmpErrorWithoutFlow), (fromUplink.Forwarded, fromUplink.Reason));
        Assert.Equal((false, DropReason.IcmpErrorWithoutFlow), (fromClient.Forwarded, fromClient.Reason));
        Assert.Empty(fromClient.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void one_aimed_elsewhere_than_the_flows_other_end_is_dropped()
    {
        // Untranslated, work's flow leaves with work's own address: an error about it to another address is forged,
        // and one work sends about its own flow to another host than that flow's other end would carry the quote past the rules.
        var lab = new EngineLab(["action=accept"], options: Options with { UplinkV6 = null });
        var left = lab.Through(Packets.Udp(Work6, Remote6, 40000, 53, payload: 8), lab.Work);
        var received = lab.FromUplink(Packets.Udp(Remote6, Work6, 53, 40000, payload: 8)).Packet;

        var toAnother = lab.FromUplink(Packets.IcmpError(Router6, "fd09::6", 5, 0, left.Packet));
        var elsewhere = lab.FromWork(Packets.IcmpError(Work6, Router6, 5, 0, received));
        var genuine = lab.FromUplink(Packets.IcmpError(Router6, Work6, 5, 0, left.Packet));

        Assert.Equal((false, DropReason.IcmpErrorWithoutFlow), (toAnother.Forwarded, toAnother.Reason));
        Assert.Equal((false, DropReason.IcmpErrorWithoutFlow), (elsewhere.Forwarded, elsewhere.Reason));
        Assert.True(genuine.Forwarded, genuine.Reason.ToString());
    }
}
