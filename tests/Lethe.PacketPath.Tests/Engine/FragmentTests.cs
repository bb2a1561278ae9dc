using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Lethe does not reassemble: every fragment is dropped, first or later, IPv4 or IPv6, whatever the
/// rules say and whether or not its flow is open, so no fragment can slip past the rules.
/// </summary>
public class FragmentTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    public static TheoryData<string, string, int> Pieces => new()
    {
        { Work4, Remote4, 0 },
        { Work4, Remote4, 1 },
        { Work4, Remote4, 2 },
        { Work6, Remote6, 0 },
        { Work6, Remote6, 1 },
        { Work6, Remote6, 2 },
    };

    [Theory]
    [MemberData(nameof(Pieces))]
    public void a_fragment_from_a_client_is_dropped_even_though_the_rules_accept_its_flow(string client, string remote, int index)
    {
        var fragment = Packets.Fragments(Packets.Udp(client, remote, 5000, 53, payload: 3000), 1232)[index];

        var sent = _lab.FromWork(fragment);

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.FragmentWithoutFlow, sent.Reason);
        Assert.Empty(sent.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void a_fragment_of_an_open_flow_is_still_dropped_in_both_directions(string client, string remote, int index)
    {
        var uplink = remote == Remote4 ? Uplink4 : Uplink6;
        var natPort = _lab.Through(Packets.Udp(client, remote, 5000, 53, payload: 20), _lab.Work).Info.SourcePort;
        var outgoing = Packets.Fragments(Packets.Udp(client, remote, 5000, 53, payload: 3000), 1232)[index];
        var incoming = Packets.Fragments(Packets.Udp(remote, uplink, 53, natPort, payload: 3000), 1232)[index];

        var outgoingSent = _lab.FromWork(outgoing);
        var incomingSent = _lab.FromUplink(incoming);

        Assert.False(outgoingSent.Forwarded);
        Assert.Equal(DropReason.FragmentWithoutFlow, outgoingSent.Reason);
        Assert.False(incomingSent.Forwarded);
        Assert.Equal(DropReason.FragmentWithoutFlow, incomingSent.Reason);
        Assert.True(_lab.FromUplink(Packets.Udp(remote, uplink, 53, natPort, payload: 20)).Forwarded);
    }

    [Fact]
    public void a_fragment_to_a_port_the_rules_drop_is_dropped_as_a_fragment_without_an_answer()
    {
        var lab = new EngineLab(["action=drop proto=udp dstports=53", "action=accept"]);

        var sent = lab.FromWork(Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[0]);

        Assert.Equal(DropReason.FragmentWithoutFlow, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    [Fact]
    public void every_fragment_is_counted_as_a_fragment_drop()
    {
        foreach (var fragment in Packets.Fragments(Packets.Tcp(Work4, Remote4, 5000, 443, TcpFlags.Ack, payload: 4000), 1480))
        {
            _lab.FromWork(fragment);
        }

        Assert.Equal(3, _lab.Engine.Drops[(int)DropReason.FragmentWithoutFlow]);
        Assert.Equal(0, _lab.Engine.ForwardedPackets);
    }
}
