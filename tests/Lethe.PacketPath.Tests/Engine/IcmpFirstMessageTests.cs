using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// An ICMP message of no tracked flow opens one only if it is a request (echo, timestamp,
/// information, address mask; ICMPv6 echo, node information). A reply of no flow, a redirect or a
/// router message is dropped before the rules, as the kernel's ruleset drops conntrack's invalid
/// state, so the two give the same verdict for the same snapshot.
/// </summary>
public class IcmpFirstMessageTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(Work4, Remote4, IcmpV4Message.EchoReply)]
    [InlineData(Work4, Remote4, IcmpV4Message.TimestampReply)]
    [InlineData(Work4, Remote4, IcmpV4Message.InformationReply)]
    [InlineData(Work4, Remote4, IcmpV4Message.AddressMaskReply)]
    [InlineData(Work4, Remote4, (byte)9)]
    [InlineData(Work4, Remote4, (byte)10)]
    [InlineData(Work6, Remote6, IcmpV6Message.EchoReply)]
    [InlineData(Work6, Remote6, (byte)133)]
    [InlineData(Work6, Remote6, (byte)137)]
    public void a_message_that_is_not_a_request_opens_no_flow(string source, string destination, byte type)
    {
        var sent = _lab.FromWork(Packets.Icmp(source, destination, type, 0, new byte[8], restOfHeader: 77 << 16));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpCannotOpen, sent.Reason);
        Assert.Empty(sent.Reply);
        Assert.Equal(0, _lab.Engine.Connections.Count);
        Assert.Equal(0, _lab.Engine.Policy.RuleHits[_lab.Work][0]);
    }

    [Theory]
    [InlineData(Work6, Remote6, 1, IcmpV4Message.EchoRequest)]
    [InlineData(Work4, Remote4, 58, IcmpV6Message.EchoRequest)]
    public void icmp_of_the_other_family_opens_no_flow_even_as_a_request(string source, string destination, byte protocol, byte type)
    {
        // ICMPv4 carried over IPv6, ICMPv6 over IPv4: no stack sends it; conntrack calls it invalid.
        byte[] echo = [type, 0, 0, 0, 0x12, 0x34, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8];

        var sent = _lab.FromWork(Packets.Ip(source, destination, protocol, echo));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpCannotOpen, sent.Reason);
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Theory]
    [InlineData(Work4, Remote4, IcmpV4Message.EchoRequest)]
    [InlineData(Work4, Remote4, IcmpV4Message.TimestampRequest)]
    [InlineData(Work4, Remote4, IcmpV4Message.AddressMaskRequest)]
    [InlineData(Work6, Remote6, IcmpV6Message.EchoRequest)]
    [InlineData(Work6, Remote6, IcmpV6Message.NodeInformationQuery)]
    public void a_request_opens_a_flow(string source, string destination, byte type)
    {
        var sent = _lab.FromWork(Packets.Icmp(source, destination, type, 0, new byte[8], restOfHeader: 77 << 16));

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(1, _lab.Engine.Connections.Count);
    }

    [Fact]
    public void the_reply_to_another_clients_echo_request_passes_as_part_of_its_flow()
    {
        var lab = new EngineLab(["action=accept dst4=10.137.0.6"], personal: ["action=accept"]);
        lab.Through(Packets.IcmpEcho(Work4, Personal4, id: 9, sequence: 1, request: true), lab.Work);

        var reply = lab.FromPersonal(Packets.IcmpEcho(Personal4, Work4, id: 9, sequence: 1, request: false));

        Assert.True(reply.Forwarded, reply.Reason.ToString());
        Assert.Equal(lab.Work, reply.Outcome.Egress);
    }
}
