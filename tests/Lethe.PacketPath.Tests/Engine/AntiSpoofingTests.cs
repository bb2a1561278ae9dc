using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A client may only speak from its own addresses, and the uplink may not speak from a client's.</summary>
public class AntiSpoofingTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(Personal4, Remote4)]
    [InlineData("10.137.0.77", Remote4)]
    [InlineData("fd09::6", Remote6)]
    public void a_client_packet_from_an_address_that_is_not_the_clients_is_dropped(string source, string remote)
    {
        var sent = _lab.FromWork(Packets.Tcp(source, remote, 40000, 443, TcpFlags.Syn));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.SpoofedClientSource, sent.Reason);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void a_client_cannot_borrow_another_clients_address_to_reach_into_its_flow()
    {
        var natPort = _lab.Through(Packets.Udp(Personal4, Remote4, 5353, 53, payload: 8), _lab.Personal).Info.SourcePort;

        var sent = _lab.FromWork(Packets.Udp(Personal4, Remote4, 5353, 53, payload: 8));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.SpoofedClientSource, sent.Reason);
        Assert.Equal(_lab.Personal, _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8)).Outcome.Egress);
    }

    [Theory]
    [InlineData(Work4, Uplink4)]
    [InlineData(Personal4, Uplink4)]
    [InlineData(Work6, Uplink6)]
    public void a_packet_from_the_uplink_claiming_a_clients_address_is_dropped(string source, string destination)
    {
        var sent = _lab.FromUplink(Packets.Udp(source, destination, 53, 5353, payload: 8));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.SpoofedUplinkSource, sent.Reason);
    }

    [Fact]
    public void a_forged_reply_from_the_uplink_with_a_clients_source_does_not_ride_an_open_flow()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"]);
        lab.Through(Packets.Udp(Work4, Personal4, 5353, 53, payload: 8), lab.Work);

        var sent = lab.FromUplink(Packets.Udp(Personal4, Work4, 53, 5353, payload: 8));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.SpoofedUplinkSource, sent.Reason);
    }

    [Fact]
    public void in_replay_a_packet_is_judged_as_coming_from_the_client_that_owns_its_source()
    {
        var fromWork = _lab.Send(Packets.Udp(Work4, Remote4, 5353, 53, payload: 8), Ingress.BySource);
        var fromElsewhere = _lab.Send(Packets.Udp(Remote4, Uplink4, 53, 9999, payload: 8), Ingress.BySource);

        Assert.True(fromWork.Forwarded);
        Assert.Equal(_lab.Work, fromWork.Outcome.Client);
        Assert.False(fromElsewhere.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, fromElsewhere.Reason);
    }
}
