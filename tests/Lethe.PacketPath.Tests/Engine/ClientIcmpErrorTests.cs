using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>An ICMP error a client sends about a reply it received leaves translated; a client cannot speak for another client's flow.</summary>
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
}
