using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>A client's flow leaves behind the uplink address and its replies come back to the client, for TCP, UDP and ICMP echo, over IPv4 and IPv6.</summary>
public class NatRoundTripTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(Work4, Remote4, Uplink4)]
    [InlineData(Work6, Remote6, Uplink6)]
    public void a_tcp_syn_leaves_from_the_uplink_address_and_a_nat_port_with_valid_checksums_and_one_hop_less(string client, string remote, string uplink)
    {
        var syn = Packets.Tcp(client, remote, 40000, 443, TcpFlags.Syn, payload: 12, ttl: 64, sequence: 7000);

        var sent = _lab.Through(syn, _lab.Work);

        var info = sent.Info;
        Assert.Equal(Ingress.Uplink, sent.Outcome.Egress);
        Assert.True(sent.Outcome.NewFlow);
        Assert.Equal(Address(uplink), info.Source);
        Assert.InRange(info.SourcePort, 1024, 65535);
        Assert.Equal(Address(remote), info.Destination);
        Assert.Equal(443, info.DestinationPort);
        Assert.Equal(63, info.HopLimit);
        Assert.Equal(syn.Length, sent.Packet.Length);
        Assert.Equal(7000u, TcpSegment.Unchecked(sent.Packet.AsSpan(info.TransportOffset)).SequenceNumber);
        Assert.Equal(syn[^12..], sent.Packet[^12..]);
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void a_connection_picked_up_after_a_restart_leaves_with_the_port_the_remote_knows()
    {
        var before = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Syn, sequence: 7000), _lab.Work);
        // A restart forgets every flow; the connection's next segment is picked up midway.
        var restarted = new EngineLab(["action=accept"]);

        var after = restarted.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, payload: 100, sequence: 7001, acknowledgement: 9001), restarted.Work);

        Assert.Equal(40000, before.Info.SourcePort);
        Assert.Equal(before.Info.SourcePort, after.Info.SourcePort);
        ChecksumsAreValid(after.Packet);
    }

    [Fact]
    public void an_nfs_mount_from_a_reserved_port_leaves_from_that_port_and_its_reply_comes_back_to_it()
    {
        // Linux's NFS client binds 665-1023, and servers export "secure" by default: they refuse ports from 1024.
        var left = _lab.Through(Packets.Tcp(Work4, Remote4, 800, 2049, TcpFlags.Syn, sequence: 7000), _lab.Work);
        var back = _lab.FromUplink(Packets.Tcp(Remote4, Uplink4, 2049, 800, TcpFlags.Syn | TcpFlags.Ack, sequence: 9000, acknowledgement: 7001));

        Assert.Equal((Address(Uplink4), (ushort)800), (left.Info.Source, left.Info.SourcePort));
        Assert.True(back.Forwarded, back.Reason.ToString());
        Assert.Equal((Address(Work4), (ushort)800), (back.Info.Destination, back.Info.DestinationPort));
    }

    [Theory]
    [InlineData(Work4, Remote4, Uplink4)]
    [InlineData(Work6, Remote6, Uplink6)]
    public void the_syn_ack_reaches_the_client_at_its_own_address_and_port_and_the_third_packet_keeps_the_nat_port(string client, string remote, string uplink)
    {
        var natPort = _lab.Through(Packets.Tcp(client, remote, 40000, 443, TcpFlags.Syn, sequence: 7000), _lab.Work).Info.SourcePort;
        var synAck = Packets.Tcp(remote, uplink, 443, natPort, TcpFlags.Syn | TcpFlags.Ack, ttl: 50, sequence: 9000, acknowledgement: 7001);

        var back = _lab.FromUplink(synAck);
        var ack = _lab.Through(Packets.Tcp(client, remote, 40000, 443, TcpFlags.Ack, payload: 100, sequence: 7001, acknowledgement: 9001), _lab.Work);

        Assert.True(back.Forwarded, back.Reason.ToString());
        Assert.Equal(_lab.Work, back.Outcome.Egress);
        Assert.Equal(_lab.Work, back.Outcome.Client);
        Assert.False(back.Outcome.NewFlow);
        var info = back.Info;
        Assert.Equal(Address(remote), info.Source);
        Assert.Equal(443, info.SourcePort);
        Assert.Equal(Address(client), info.Destination);
        Assert.Equal(40000, info.DestinationPort);
        Assert.Equal(49, info.HopLimit);
        var segment = TcpSegment.Unchecked(back.Packet.AsSpan(info.TransportOffset));
        Assert.Equal((9000u, 7001u), (segment.SequenceNumber, segment.AcknowledgementNumber));
        ChecksumsAreValid(back.Packet);
        Assert.False(ack.Outcome.NewFlow);
        Assert.Equal(natPort, ack.Info.SourcePort);
        Assert.Equal(Address(uplink), ack.Info.Source);
        ChecksumsAreValid(ack.Packet);
    }

    [Theory]
    [InlineData(Work4, Remote4, Uplink4)]
    [InlineData(Work6, Remote6, Uplink6)]
    public void a_udp_query_and_its_answer_are_translated_both_ways(string client, string remote, string uplink)
    {
        var query = _lab.Through(Packets.Udp(client, remote, 5353, 53, payload: 30), _lab.Work);
        var natPort = query.Info.SourcePort;

        var answer = _lab.FromUplink(Packets.Udp(remote, uplink, 53, natPort, payload: 120));
        var second = _lab.Through(Packets.Udp(client, remote, 5353, 53, payload: 30), _lab.Work);

        Assert.Equal(Address(uplink), query.Info.Source);
        Assert.InRange(natPort, 1024, 65535);
        ChecksumsAreValid(query.Packet);
        Assert.True(answer.Forwarded, answer.Reason.ToString());
        Assert.Equal(_lab.Work, answer.Outcome.Egress);
        Assert.Equal((Address(client), (ushort)5353), (answer.Info.Destination, answer.Info.DestinationPort));
        Assert.Equal((Address(remote), (ushort)53), (answer.Info.Source, answer.Info.SourcePort));
        ChecksumsAreValid(answer.Packet);
        Assert.Equal(natPort, second.Info.SourcePort);
    }

    [Theory]
    [InlineData(Work4, Remote4, Uplink4)]
    [InlineData(Work6, Remote6, Uplink6)]
    public void an_icmp_echo_leaves_with_its_own_identifier_while_free_and_the_echo_reply_comes_back_to_the_client(string client, string remote, string uplink)
    {
        var request = _lab.Through(Packets.IcmpEcho(client, remote, id: 7, sequence: 1, request: true, payload: 56), _lab.Work);
        var natId = request.Info.SourcePort;

        var reply = _lab.FromUplink(Packets.IcmpEcho(remote, uplink, id: natId, sequence: 1, request: false, payload: 56));
        var next = _lab.Through(Packets.IcmpEcho(client, remote, id: 7, sequence: 2, request: true, payload: 56), _lab.Work);

        Assert.Equal(Address(uplink), request.Info.Source);
        Assert.Equal(7, natId);
        ChecksumsAreValid(request.Packet);
        Assert.True(reply.Forwarded, reply.Reason.ToString());
        Assert.Equal(_lab.Work, reply.Outcome.Egress);
        Assert.Equal(Address(client), reply.Info.Destination);
        Assert.Equal(7, reply.Info.DestinationPort);
        Assert.Equal(1, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(reply.Packet.AsSpan(reply.Info.TransportOffset + 6)));
        ChecksumsAreValid(reply.Packet);
        Assert.Equal(natId, next.Info.SourcePort);
    }

    [Fact]
    public void two_clients_pinging_one_host_with_the_same_identifier_get_different_ones_and_their_own_replies()
    {
        var personal = _lab.Through(Packets.IcmpEcho(Personal4, Remote4, id: 7, sequence: 1, request: true), _lab.Personal);
        var work = _lab.Through(Packets.IcmpEcho(Work4, Remote4, id: 7, sequence: 1, request: true), _lab.Work);
        var natId = work.Info.SourcePort;

        var reply = _lab.FromUplink(Packets.IcmpEcho(Remote4, Uplink4, id: natId, sequence: 1, request: false));

        Assert.Equal(7, personal.Info.SourcePort);
        Assert.InRange(natId, 1024, 65535);
        Assert.True(reply.Forwarded, reply.Reason.ToString());
        Assert.Equal((Address(Work4), (ushort)7), (reply.Info.Destination, reply.Info.DestinationPort));
        ChecksumsAreValid(reply.Packet);
    }

    [Fact]
    public void two_clients_using_the_same_source_port_to_the_same_server_get_different_nat_ports_and_their_own_replies()
    {
        var fromWork = _lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 10), _lab.Work).Info.SourcePort;
        var fromPersonal = _lab.Through(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 10), _lab.Personal).Info.SourcePort;

        var toWork = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, fromWork, payload: 10));
        var toPersonal = _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, fromPersonal, payload: 10));

        Assert.NotEqual(fromWork, fromPersonal);
        Assert.Equal((_lab.Work, Address(Work4)), (toWork.Outcome.Egress, toWork.Info.Destination));
        Assert.Equal((_lab.Personal, Address(Personal4)), (toPersonal.Outcome.Egress, toPersonal.Info.Destination));
    }
}
