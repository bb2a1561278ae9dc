using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// An ICMP error a client sends about a reply it received leaves translated; one about a packet
/// another client sent it reaches that client; a client cannot speak for another client's flow.
/// </summary>
public class ClientIcmpErrorTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Fact]
    public void a_clients_port_unreachable_about_a_reply_leaves_from_the_uplink_quoting_the_nat_port()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), _lab.Work).Info.SourcePort;
        var received = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8)).Packet;
        var error = Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, received);

        var sent = _lab.FromWork(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(Ingress.Uplink, sent.Outcome.Egress);
        Assert.Equal((Address(Uplink4), Address(Remote4)), (sent.Info.Source, sent.Info.Destination));
        var quoted = Packets.Parse(Quote(sent.Packet));
        Assert.Equal((Address(Uplink4), natPort), (quoted.Destination, quoted.DestinationPort));
        ChecksumsAreValid(sent.Packet);
        ChecksumsAreValid(Quote(sent.Packet));
    }

    [Fact]
    public void a_client_error_quoting_nothing_the_client_received_is_dropped()
    {
        var error = Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort,
            Packets.Udp(Remote4, Work4, 53, 40000, payload: 8));

        var sent = _lab.FromWork(error);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Theory]
    [InlineData("203.0.113.9")]
    [InlineData(Personal4)]
    public void an_error_about_the_clients_own_flow_goes_only_to_that_flows_other_end(string elsewhere)
    {
        var lab = new EngineLab(["action=accept proto=udp dst4=192.0.2.10 dstports=53", "action=drop"], personal: ["action=accept"]);
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), lab.Work).Info.SourcePort;
        var received = lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8)).Packet;
        var redirected = Packets.IcmpError(Work4, elsewhere, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, received);

        var sent = lab.FromWork(redirected);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Fact]
    public void a_client_cannot_send_an_error_about_another_clients_flow()
    {
        var natPort = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn), _lab.Work).Info.SourcePort;
        var toWork = _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 443, natPort, TcpFlags.Syn | TcpFlags.Ack)).Packet;
        var forged = Packets.IcmpError(Personal4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, toWork);

        var sent = _lab.FromPersonal(forged);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
        Assert.Equal(_lab.Personal, sent.Outcome.Client);
    }

    [Fact]
    public void a_port_unreachable_from_the_client_a_flow_was_opened_to_reaches_the_client_that_opened_it()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"]);
        var received = lab.Through(Packets.Udp(Work4, Personal4, 40000, 53, payload: 8), lab.Work).Packet;
        var error = Packets.IcmpError(Personal4, Work4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, received);

        var sent = lab.FromPersonal(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(lab.Work, sent.Outcome.Egress);
        Assert.Equal((Address(Personal4), Address(Work4)), (sent.Info.Source, sent.Info.Destination));
        var quoted = Packets.Parse(Quote(sent.Packet));
        Assert.Equal((Address(Work4), (ushort)40000, Address(Personal4), (ushort)53),
            (quoted.Source, quoted.SourcePort, quoted.Destination, quoted.DestinationPort));
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void the_client_a_flow_was_opened_to_cannot_aim_an_error_about_it_elsewhere()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6", "action=accept"], personal: ["action=accept"]);
        var received = lab.Through(Packets.Udp(Work4, Personal4, 40000, 53, payload: 8), lab.Work).Packet;
        var error = Packets.IcmpError(Personal4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, received);

        var sent = lab.FromPersonal(error);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Fact]
    public void the_client_that_opened_a_flow_cannot_answer_for_its_other_end()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"]);
        var received = lab.Through(Packets.Udp(Work4, Personal4, 40000, 53, payload: 8), lab.Work).Packet;
        // Work itself quoting the packet it sent, as if it had been sent to it.
        var forged = Packets.IcmpError(Work4, Work4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, received);

        var sent = lab.FromWork(forged);

        Assert.False(sent.Forwarded);
    }
}
