using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A family with no --uplink-address is routed untranslated, and the firewall has no address in it.
/// Its clients must still hear that a flow is refused, and what path MTU to use, or their
/// connections hang until they time out.
/// </summary>
public class UntranslatedFamilyAnswerTests
{
    private readonly EngineLab _lab = new(["action=drop proto=tcp dstports=25", "action=accept"], options: Options with { UplinkV6 = null });

    [Fact]
    public void a_refused_flow_is_answered_administratively_prohibited_from_the_address_it_was_sent_to()
    {
        var sent = _lab.FromWork(Packets.Tcp(Work6, Remote6, 40000, 25));

        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Remote6), Address(Work6)), (reply.Source, reply.Destination));
        Assert.Equal((IcmpV6Message.DestinationUnreachable, (byte)1), (reply.IcmpType, reply.IcmpCode));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_packet_too_big_is_answered_from_the_address_it_was_sent_to()
    {
        var sent = _lab.FromWork(Packets.Udp(Work6, Remote6, 40000, 443, payload: 1600));

        Assert.Equal(DropReason.TooBig, sent.Reason);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Remote6), Address(Work6)), (reply.Source, reply.Destination));
        Assert.Equal(IcmpV6Message.PacketTooBig, reply.IcmpType);
        Assert.Equal(1500u, RestOfHeader(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void time_exceeded_stays_silent_so_traceroute_does_not_end_a_hop_early()
    {
        var sent = _lab.FromWork(Packets.Udp(Work6, Remote6, 40000, 33434, ttl: 1));

        Assert.Equal(DropReason.TtlExceeded, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void the_translated_family_still_answers_from_the_uplink_address()
    {
        var sent = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 25));

        Assert.Equal((Address(Uplink4), Address(Work4)), (sent.ReplyInfo.Source, sent.ReplyInfo.Destination));
    }
}
