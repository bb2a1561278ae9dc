using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>Nothing from the uplink gets in unless it answers a flow a client opened, from the exact remote address and port.</summary>
public class UnsolicitedTrafficTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(Remote4, Uplink4)]
    [InlineData(Remote6, Uplink6)]
    public void a_syn_from_the_internet_to_the_uplink_address_is_dropped(string remote, string uplink)
    {
        var sent = _lab.FromUplink(Packets.Tcp(remote, uplink, 443, 2222, TcpFlags.Syn));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void a_packet_from_the_internet_addressed_straight_to_a_client_is_dropped()
    {
        var sent = _lab.FromUplink(Packets.Udp(Remote4, Work4, 53, 5353, payload: 20));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, sent.Reason);
    }

    [Fact]
    public void a_reply_from_another_remote_port_than_the_client_contacted_is_dropped()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 20), _lab.Work).Info.SourcePort;

        var sent = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 54, natPort, payload: 20));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, sent.Reason);
    }

    [Fact]
    public void a_reply_from_another_remote_address_to_the_nat_port_is_dropped()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5353, 53, payload: 20), _lab.Work).Info.SourcePort;

        var sent = _lab.FromUplink(Packets.Udp("192.0.2.99", Uplink4, 53, natPort, payload: 20));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, sent.Reason);
    }

    [Fact]
    public void an_echo_reply_nobody_asked_for_is_dropped()
    {
        var sent = _lab.FromUplink(Packets.IcmpEcho(Remote4, Uplink4, id: 4000, sequence: 1, request: false));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.UnsolicitedFromUplink, sent.Reason);
    }
}
