using System.Buffers.Binary;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>What a client is told when the policy refuses its new flow: drop, reject, or no rule at all.</summary>
public class PolicyRefusalTests
{
    private static readonly string[] Rules =
    [
        "action=drop proto=tcp dstports=23",
        "action=reject proto=tcp dstports=25",
        "action=reject proto=udp dstports=69",
        "action=accept proto=tcp dstports=443",
    ];

    private readonly EngineLab _lab = new(Rules);

    [Fact]
    public void a_drop_rule_stops_the_packet_and_names_the_rule()
    {
        var sent = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 23, TcpFlags.Syn));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        Assert.Equal(0, sent.Outcome.RuleIndex);
        Assert.Equal(_lab.Work, sent.Outcome.Client);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_dropped_ipv4_packet_is_answered_with_administratively_prohibited_addressed_to_the_client_and_quoting_the_packet()
    {
        var syn = Packets.Tcp(Work4, Remote4, 40000, 23, TcpFlags.Syn, payload: 20);

        var sent = _lab.FromWork(syn);

        var reply = sent.ReplyInfo;
        Assert.Equal(_lab.Work, sent.Outcome.ReplyEgress);
        Assert.Equal(Address(Uplink4), reply.Source);
        Assert.Equal(Address(Work4), reply.Destination);
        Assert.Equal(IpProtocol.Icmp, reply.Protocol);
        Assert.Equal((IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableAdministrativelyProhibited), (reply.IcmpType, reply.IcmpCode));
        Assert.Equal(syn, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_dropped_ipv6_packet_is_answered_with_icmpv6_administratively_prohibited()
    {
        var syn = Packets.Tcp(Work6, Remote6, 40000, 23, TcpFlags.Syn);

        var sent = _lab.FromWork(syn);

        var reply = sent.ReplyInfo;
        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        Assert.Equal(Address(Uplink6), reply.Source);
        Assert.Equal(Address(Work6), reply.Destination);
        Assert.Equal(IpProtocol.IcmpV6, reply.Protocol);
        Assert.Equal((IcmpV6Message.DestinationUnreachable, IcmpV6Message.UnreachableAdministrativelyProhibited), (reply.IcmpType, reply.IcmpCode));
        Assert.Equal(syn, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void with_silent_drops_the_client_hears_nothing()
    {
        var lab = new EngineLab(Rules, options: Options with { SilentDrop = true });

        var sent = lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 23, TcpFlags.Syn));
        var unmatched = lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8));

        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        Assert.Equal(0, sent.Outcome.ReplyLength);
        Assert.Equal(DropReason.NoRuleMatched, unmatched.Reason);
        Assert.Equal(0, unmatched.Outcome.ReplyLength);
    }

    [Fact]
    public void a_rejected_syn_is_answered_with_a_reset_that_acknowledges_it_from_the_server_side()
    {
        var syn = Packets.Tcp(Work4, Remote4, 40000, 25, TcpFlags.Syn, payload: 10, sequence: 7000);

        var sent = _lab.FromWork(syn);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.RuleReject, sent.Reason);
        Assert.Equal(1, sent.Outcome.RuleIndex);
        Assert.Equal(_lab.Work, sent.Outcome.ReplyEgress);
        var reset = sent.ReplyInfo;
        Assert.Equal((Address(Remote4), (ushort)25), (reset.Source, reset.SourcePort));
        Assert.Equal((Address(Work4), (ushort)40000), (reset.Destination, reset.DestinationPort));
        Assert.Equal((byte)(TcpFlags.Rst | TcpFlags.Ack), reset.TcpFlags);
        var segment = TcpSegment.Unchecked(sent.Reply.AsSpan(reset.TransportOffset));
        Assert.Equal(0u, segment.SequenceNumber);
        Assert.Equal(7000u + 1 + 10, segment.AcknowledgementNumber);
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_rejected_segment_carrying_an_ack_is_answered_with_a_reset_whose_sequence_is_that_ack()
    {
        var sent = _lab.FromWork(Packets.Tcp(Work6, Remote6, 40000, 25, TcpFlags.Ack | TcpFlags.Psh, payload: 5, sequence: 7000, acknowledgement: 123_456));

        var reset = sent.ReplyInfo;
        Assert.Equal(DropReason.RuleReject, sent.Reason);
        Assert.Equal((byte)TcpFlags.Rst, reset.TcpFlags);
        Assert.Equal(123_456u, TcpSegment.Unchecked(sent.Reply.AsSpan(reset.TransportOffset)).SequenceNumber);
        Assert.Equal((Address(Remote6), Address(Work6)), (reset.Source, reset.Destination));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_reset_is_never_answered_with_a_reset()
    {
        var sent = _lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 25, TcpFlags.Rst, sequence: 7000));

        // A reset of no flow cannot open one, so it never reaches the reject rule either.
        Assert.Equal(DropReason.TcpCannotOpen, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void reject_still_answers_when_drops_are_silent()
    {
        var lab = new EngineLab(Rules, options: Options with { SilentDrop = true });

        var sent = lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 25, TcpFlags.Syn));

        Assert.Equal(DropReason.RuleReject, sent.Reason);
        Assert.Equal((byte)(TcpFlags.Rst | TcpFlags.Ack), sent.ReplyInfo.TcpFlags);
    }

    [Fact]
    public void a_rejected_udp_datagram_is_answered_with_administratively_prohibited()
    {
        var datagram = Packets.Udp(Work4, Remote4, 5000, 69, payload: 16);

        var sent = _lab.FromWork(datagram);

        Assert.Equal(DropReason.RuleReject, sent.Reason);
        Assert.Equal(2, sent.Outcome.RuleIndex);
        Assert.Equal((IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableAdministrativelyProhibited), (sent.ReplyInfo.IcmpType, sent.ReplyInfo.IcmpCode));
        Assert.Equal(datagram, Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }

    [Fact]
    public void a_packet_no_rule_matches_is_dropped_by_default_without_naming_a_rule()
    {
        var sent = _lab.FromWork(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.NoRuleMatched, sent.Reason);
        Assert.Equal(-1, sent.Outcome.RuleIndex);
        Assert.Equal(IcmpV4Message.UnreachableAdministrativelyProhibited, sent.ReplyInfo.IcmpCode);
    }

    [Fact]
    public void the_quote_of_a_big_dropped_packet_stops_where_an_ipv4_error_must_fit_576_bytes()
    {
        var big = Packets.Udp(Work4, Remote4, 5000, 69, payload: 1400);

        var sent = _lab.FromWork(big);

        Assert.Equal(576, sent.Reply.Length);
        Assert.Equal(576, BinaryPrimitives.ReadUInt16BigEndian(sent.Reply.AsSpan(2)));
        Assert.Equal(big[..548], Quote(sent.Reply));
        ChecksumsAreValid(sent.Reply);
    }
}
