using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>Clients are isolated from each other unless the sender's rule names the other client's address.</summary>
public class InterClientTests
{
    [Fact]
    public void a_catch_all_accept_does_not_let_work_reach_personal()
    {
        var lab = new EngineLab(["action=accept"]);

        var sent = lab.FromWork(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Syn));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.ClientIsolated, sent.Reason);
        Assert.Equal(0, lab.Engine.Connections.Count);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Remote4, 40000, 80, TcpFlags.Syn)).Forwarded);
    }

    [Theory]
    [InlineData("action=accept dst4=10.137.0.6")]
    [InlineData("action=accept dst4=10.137.0.0/24 proto=tcp dstports=80")]
    public void an_accept_naming_personals_address_opens_it_untranslated(string rule)
    {
        var lab = new EngineLab([rule]);
        var syn = Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Syn, ttl: 64);

        var sent = lab.FromWork(syn);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(lab.Personal, sent.Outcome.Egress);
        Assert.Equal(0, sent.Outcome.RuleIndex);
        var info = sent.Info;
        Assert.Equal((Address(Work4), (ushort)40000), (info.Source, info.SourcePort));
        Assert.Equal((Address(Personal4), (ushort)80), (info.Destination, info.DestinationPort));
        Assert.Equal(63, info.HopLimit);
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void personals_reply_reaches_work()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"]);
        lab.Through(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Syn, sequence: 100), lab.Work);

        var synAck = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 80, 40000, TcpFlags.Syn | TcpFlags.Ack, sequence: 500, acknowledgement: 101));
        var ack = lab.FromWork(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Ack, sequence: 101, acknowledgement: 501));

        Assert.True(synAck.Forwarded, synAck.Reason.ToString());
        Assert.Equal(lab.Work, synAck.Outcome.Egress);
        Assert.Equal((Address(Personal4), Address(Work4)), (synAck.Info.Source, synAck.Info.Destination));
        ChecksumsAreValid(synAck.Packet);
        Assert.True(ack.Forwarded);
        Assert.Equal(lab.Personal, ack.Outcome.Egress);
    }

    [Fact]
    public void personal_cannot_open_a_flow_to_work_on_its_own()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"], personal: ["action=accept"]);
        lab.Through(Packets.Tcp(Work4, Personal4, 40000, 80, TcpFlags.Syn), lab.Work);

        var newFlow = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 50000, 22, TcpFlags.Syn));
        var otherPort = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 81, 40000, TcpFlags.Syn | TcpFlags.Ack));
        var pickedUp = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 81, 40000, TcpFlags.Ack));

        Assert.False(newFlow.Forwarded);
        Assert.Equal(DropReason.ClientIsolated, newFlow.Reason);
        Assert.False(otherPort.Forwarded);
        Assert.Equal(DropReason.TcpCannotOpen, otherPort.Reason);
        Assert.False(pickedUp.Forwarded);
        Assert.Equal(DropReason.ClientIsolated, pickedUp.Reason);
    }

    [Fact]
    public void an_explicit_drop_of_another_client_is_reported_as_the_rule_that_dropped_it()
    {
        var lab = new EngineLab(["action=drop dst4=10.137.0.6", "action=accept"]);

        var sent = lab.FromWork(Packets.Udp(Work4, Personal4, 5000, 53, payload: 8));

        Assert.Equal(DropReason.RuleDrop, sent.Reason);
        Assert.Equal(0, sent.Outcome.RuleIndex);
    }
    [Fact]
    public void once_the_flow_has_closed_a_syn_from_the_side_that_answered_is_judged_by_its_own_rules()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6 proto=tcp dstports=22"], ["action=drop"]);
        lab.Through(Packets.Tcp(Work4, Personal4, 40000, 22, TcpFlags.Syn, sequence: 100), lab.Work);
        Assert.True(lab.FromPersonal(Packets.Tcp(Personal4, Work4, 22, 40000, TcpFlags.Syn | TcpFlags.Ack, sequence: 500, acknowledgement: 101)).Forwarded);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Personal4, 40000, 22, TcpFlags.Ack | TcpFlags.Fin, sequence: 101, acknowledgement: 501)).Forwarded);
        Assert.True(lab.FromPersonal(Packets.Tcp(Personal4, Work4, 22, 40000, TcpFlags.Ack | TcpFlags.Fin, sequence: 501, acknowledgement: 102)).Forwarded);
        Assert.True(lab.FromWork(Packets.Tcp(Work4, Personal4, 40000, 22, TcpFlags.Ack, sequence: 102, acknowledgement: 502)).Forwarded);
        lab.Now += 100_000;

        // Personal's rules drop everything: the closed flow of work's must not carry a connection personal opens.
        var syn = lab.FromPersonal(Packets.Tcp(Personal4, Work4, 22, 40000, TcpFlags.Syn, sequence: 502));

        Assert.False(syn.Forwarded);
        Assert.Equal(DropReason.RuleDrop, syn.Reason);
        Assert.Equal(0, lab.Engine.Connections.Count);
    }
}
