using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A packet larger than the way out is refused with an answer that lets path MTU discovery work.</summary>
public class MtuTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Fact]
    public void an_ipv4_packet_too_big_for_the_uplink_with_df_is_answered_with_fragmentation_needed_carrying_the_mtu()
    {
        var big = Packets.Udp(Work4, Remote4, 40000, 443, payload: 1600, dontFragment: true);

        var sent = _lab.FromWork(big);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.TooBig, sent.Reason);
        Assert.Equal(_lab.Work, sent.Outcome.ReplyEgress);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Uplink4), Address(Work4)), (reply.Source, reply.Destination));
        Assert.Equal((IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded), (reply.IcmpType, reply.IcmpCode));
        Assert.Equal(1500u, RestOfHeader(sent.Reply));
        Assert.Equal(big[..548], Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void an_ipv6_packet_too_big_for_the_uplink_is_answered_with_packet_too_big_carrying_the_mtu()
    {
        var big = Packets.Udp(Work6, Remote6, 40000, 443, payload: 1600);

        var sent = _lab.FromWork(big);

        Assert.Equal(DropReason.TooBig, sent.Reason);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Uplink6), Address(Work6)), (reply.Source, reply.Destination));
        Assert.Equal(IcmpV6Message.PacketTooBig, reply.IcmpType);
        Assert.Equal(1500u, RestOfHeader(sent.Reply));
        Assert.Equal(1280, sent.Reply.Length);
        Assert.Equal(big[..1232], Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_packet_too_big_for_the_uplink_opens_no_flow_and_takes_no_nat_port()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 40000, 443, payload: 1600, dontFragment: true));

        Assert.Equal(DropReason.TooBig, sent.Reason);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void an_ipv4_packet_too_big_without_df_is_forwarded_translated_to_be_cut_into_fragments_of_the_egress_mtu()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 40000, 443, payload: 1600));

        Assert.True(sent.Forwarded);
        Assert.Equal(DropReason.None, sent.Reason);
        Assert.Equal(1500, sent.Outcome.FragmentMtu);
        Assert.Equal(1628, sent.Outcome.Length);
        Assert.Empty(sent.Reply);
        Assert.Equal(Address(Uplink4), sent.Info.Source);
        Assert.Equal(63, sent.Info.HopLimit);
        Assert.Equal(1, _lab.Engine.Connections.Count);
        ChecksumsAreValid(sent.Packet[..sent.Outcome.Length]);
    }

    [Fact]
    public void a_reply_without_df_too_big_for_the_client_device_is_forwarded_to_be_cut_into_fragments_of_that_mtu()
    {
        var lab = new EngineLab(["action=accept"], options: Options with { ClientMtu = 1400 });
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 40000, 53), lab.Work).Info.SourcePort;

        var sent = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 1410));

        Assert.True(sent.Forwarded);
        Assert.Equal(1400, sent.Outcome.FragmentMtu);
        Assert.Equal(Address(Work4), sent.Info.Destination);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void a_later_fragment_without_df_too_big_for_the_egress_follows_its_first_to_be_cut_again()
    {
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 5000), 2000);
        var lab = new EngineLab(["action=accept"], options: Options with { UplinkMtu = 1280 });

        var sent = fragments.Select(f => lab.FromWork(f)).ToArray();

        Assert.All(sent, s => Assert.True(s.Forwarded, $"{s.Reason}"));
        Assert.Equal([1280, 1280, 0], sent.Select(s => s.Outcome.FragmentMtu));
    }

    [Fact]
    public void a_packet_of_exactly_the_mtu_without_df_leaves_whole()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 40000, 443, payload: 1500 - 28));

        Assert.True(sent.Forwarded);
        Assert.Equal(0, sent.Outcome.FragmentMtu);
    }

    [Fact]
    public void a_packet_of_exactly_the_mtu_leaves()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 40000, 443, payload: 1500 - 28, dontFragment: true));

        Assert.True(sent.Forwarded);
        Assert.Equal(1500, sent.Outcome.Length);
    }

    [Fact]
    public void a_reply_too_big_for_the_client_network_is_answered_to_the_remote_quoting_what_the_remote_sent()
    {
        var lab = new EngineLab(["action=accept"], options: Options with { ClientMtu = 1400 });
        var natPort = lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), lab.Work).Info.SourcePort;
        var big = Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Ack, payload: 1410, dontFragment: true);

        var sent = lab.FromUplink(big);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.TooBig, sent.Reason);
        Assert.Equal(Ingress.Uplink, sent.Outcome.ReplyEgress);
        var reply = sent.ReplyInfo;
        Assert.Equal((Address(Uplink4), Address(Remote4)), (reply.Source, reply.Destination));
        Assert.Equal(1400u, RestOfHeader(sent.Reply));
        Assert.Equal(big[..548], Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void each_client_network_is_held_to_the_mtu_of_its_own_device()
    {
        var lab = new EngineLab([$"action=accept dst4={Personal4}/32"], personal: [$"action=accept dst4={Work4}/32"]);
        var byClient = new int[2];
        byClient[lab.Work] = 1400;
        byClient[lab.Personal] = 9000;
        lab.Engine.SetEgressMtus(1500, byClient);

        var toWork = lab.FromPersonal(Packets.Udp(Personal4, Work4, 40000, 53, payload: 1450, dontFragment: true));
        var toPersonal = lab.FromWork(Packets.Udp(Work4, Personal4, 40000, 53, payload: 1380, dontFragment: true));
        var bigToPersonal = lab.FromWork(Packets.Udp(Work4, Personal4, 40001, 53, payload: 8000, dontFragment: true));

        Assert.Equal(DropReason.TooBig, toWork.Reason);
        Assert.Equal(1400u, RestOfHeader(toWork.Reply));
        Assert.Equal(lab.Personal, toWork.Outcome.ReplyEgress);
        Assert.True(toPersonal.Forwarded);
        Assert.True(bigToPersonal.Forwarded);
    }

    [Fact]
    public void a_lowered_uplink_mtu_takes_effect_from_the_next_packet_and_unknown_mtus_fall_back_to_the_options()
    {
        var packet = Packets.Udp(Work4, Remote4, 40000, 443, payload: 1400 - 28, dontFragment: true);
        Assert.True(_lab.FromWork(packet).Forwarded);

        _lab.Engine.SetEgressMtus(1280, [0]);
        var refused = _lab.FromWork(Packets.Udp(Work4, Remote4, 40001, 443, payload: 1400 - 28, dontFragment: true));
        Assert.Equal(DropReason.TooBig, refused.Reason);
        Assert.Equal(1280u, RestOfHeader(refused.Reply));

        _lab.Engine.SetEgressMtus(0, [0]);
        Assert.True(_lab.FromWork(Packets.Udp(Work4, Remote4, 40002, 443, payload: 1500 - 28, dontFragment: true)).Forwarded);
    }
}
