using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// An ICMP error from the internet about a client's translated flow reaches the client as if the
/// client had sent the packet itself: traceroute, port unreachable and path MTU discovery work.
/// </summary>
public class UplinkIcmpErrorTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    [Theory]
    [InlineData(Work4, Remote4, Router4, IcmpV4Message.TimeExceeded, IcmpV4Message.TimeExceededInTransit)]
    [InlineData(Work4, Remote4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort)]
    [InlineData(Work6, Remote6, Router6, IcmpV6Message.TimeExceeded, IcmpV6Message.TimeExceededInTransit)]
    [InlineData(Work6, Remote6, Remote6, IcmpV6Message.DestinationUnreachable, IcmpV6Message.UnreachablePort)]
    public void an_error_about_a_udp_flow_reaches_the_client_with_its_own_address_and_port_in_the_quote(
        string client, string remote, string reporter, byte type, byte code)
    {
        var probe = Packets.Udp(client, remote, 40000, 33434, payload: 24);
        var left = _lab.Through(probe, _lab.Work);
        var error = Packets.IcmpError(reporter, left.Info.Source.ToString(), type, code, left.Packet);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(_lab.Work, sent.Outcome.Egress);
        var info = sent.Info;
        Assert.Equal((Address(reporter), Address(client)), (info.Source, info.Destination));
        Assert.Equal((type, code), (info.IcmpType, info.IcmpCode));
        var quote = Quote(sent.Packet);
        var quoted = Packets.Parse(quote);
        Assert.Equal((Address(client), (ushort)40000), (quoted.Source, quoted.SourcePort));
        Assert.Equal((Address(remote), (ushort)33434), (quoted.Destination, quoted.DestinationPort));
        ChecksumsAreValid(sent.Packet);
        ChecksumsAreValid(quote);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void a_forged_error_from_the_uplink_about_a_flow_between_two_clients_is_dropped(bool untranslated)
    {
        // Anyone on the uplink could otherwise break work's UDP to personal with a port unreachable.
        var lab = new EngineLab([$"action=accept dst4={Personal4}/32", "action=accept"], options: untranslated ? Options with { UplinkV4 = null } : Options);
        var left = lab.Through(Packets.Udp(Work4, Personal4, 40000, 5000, payload: 20), lab.Work);
        Assert.Equal(lab.Personal, left.Outcome.Egress);

        foreach (var to in new[] { Uplink4, Work4, Personal4 })
        {
            var forged = lab.FromUplink(Packets.IcmpError(Router4, to, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, left.Packet));

            Assert.False(forged.Forwarded, $"an error to {to} quoting work -> personal was forwarded to client {forged.Outcome.Egress}");
            Assert.Equal(DropReason.IcmpErrorWithoutFlow, forged.Reason);
        }
    }

    [Fact]
    public void an_error_sent_to_another_address_than_the_one_the_flow_left_with_is_dropped()
    {
        // Untranslated, work's flow leaves with work's address: an error about it sent to personal's address is forged.
        var lab = new EngineLab(["action=accept"], options: Options with { UplinkV4 = null });
        var left = lab.Through(Packets.Udp(Work4, Remote4, 40000, 33434, payload: 24), lab.Work);

        var forged = lab.FromUplink(Packets.IcmpError(Router4, Personal4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, left.Packet));
        var genuine = lab.FromUplink(Packets.IcmpError(Router4, Work4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, left.Packet));

        Assert.Equal(DropReason.IcmpErrorWithoutFlow, forged.Reason);
        Assert.True(genuine.Forwarded, genuine.Reason.ToString());
        Assert.Equal(lab.Work, genuine.Outcome.Egress);
    }

    [Theory]
    [InlineData(new[] { IpProtocol.DestinationOptions })]
    [InlineData(new[] { IpProtocol.HopByHop, IpProtocol.Routing })]
    [InlineData(new[] { IpProtocol.Fragment })]
    [InlineData(new[] { IpProtocol.HopByHop, IpProtocol.DestinationOptions, IpProtocol.Authentication })]
    public void a_packet_too_big_about_a_flow_with_extension_headers_reaches_the_client_translated(byte[] headers)
    {
        var left = _lab.Through(Packets.Udp(Work6, Remote6, 40000, 4500, payload: 1400, extensionHeaders: headers), _lab.Work);
        var error = Packets.IcmpError(Router6, Uplink6, IcmpV6Message.PacketTooBig, 0, left.Packet, restOfHeader: 1280);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(_lab.Work, sent.Outcome.Egress);
        Assert.Equal(1280u, RestOfHeader(sent.Packet));
        // The quote is cut at 1,280 bytes, so it is read as a quote, not as a whole packet.
        Assert.True(PacketParser.TryParseEmbedded(sent.Packet, sent.Info, out var quoted));
        Assert.Equal((Address(Work6), (ushort)40000), (quoted.Source, quoted.SourcePort));
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void a_port_unreachable_about_a_tcp_syn_reaches_the_client_translated()
    {
        var left = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 8080, TcpFlags.Syn, sequence: 77), _lab.Work);
        var error = Packets.IcmpError(Remote4, Uplink4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, left.Packet);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        var quote = Quote(sent.Packet);
        var quoted = Packets.Parse(quote);
        Assert.Equal((Address(Work4), (ushort)40000), (quoted.Source, quoted.SourcePort));
        Assert.Equal(77u, TcpSegment.Unchecked(quote.AsSpan(quoted.TransportOffset)).SequenceNumber);
        ChecksumsAreValid(sent.Packet);
        ChecksumsAreValid(quote);
    }

    [Fact]
    public void a_fragmentation_needed_with_a_short_quote_reaches_the_client_with_the_mtu_and_the_clients_port()
    {
        var left = _lab.Through(Packets.Tcp(Work4, Remote4, 40000, 443, TcpFlags.Ack, payload: 1000, dontFragment: true), _lab.Work);
        var error = Packets.IcmpError(Router4, Uplink4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachableFragmentationNeeded,
            left.Packet, quoteLength: 28, restOfHeader: 1280);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        Assert.Equal(1280u, RestOfHeader(sent.Packet));
        var quote = Quote(sent.Packet);
        Assert.Equal(28, quote.Length);
        Assert.Equal(Work4, NetAddress.FromV4Bytes(quote.AsSpan(12)).ToString());
        Assert.Equal(40000, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(quote.AsSpan(20)));
        Assert.True(Ipv4Packet.Unchecked(quote).VerifyHeaderChecksum());
        ChecksumsAreValid(sent.Packet);
    }

    [Fact]
    public void an_error_about_an_echo_request_gives_the_client_back_its_own_identifier()
    {
        var left = _lab.Through(Packets.IcmpEcho(Work4, Remote4, id: 7, sequence: 3), _lab.Work);
        var error = Packets.IcmpError(Router4, Uplink4, IcmpV4Message.TimeExceeded, 0, left.Packet);

        var sent = _lab.FromUplink(error);

        Assert.True(sent.Forwarded, sent.Reason.ToString());
        var quoted = Packets.Parse(Quote(sent.Packet));
        Assert.Equal(7, quoted.SourcePort);
        Assert.Equal(Address(Work4), quoted.Source);
        ChecksumsAreValid(sent.Packet);
        ChecksumsAreValid(Quote(sent.Packet));
    }

    [Fact]
    public void an_error_quoting_no_tracked_flow_is_dropped()
    {
        var neverSent = Packets.Udp(Uplink4, Remote4, 40000, 53, payload: 8);

        var sent = _lab.FromUplink(Packets.IcmpError(Router4, Uplink4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, neverSent));

        Assert.False(sent.Forwarded);
        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Fact]
    public void an_error_quoting_a_flow_with_a_guessed_nat_port_is_dropped()
    {
        var left = _lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), _lab.Work);
        var guessed = Packets.Udp(Uplink4, Remote4, (ushort)(left.Info.SourcePort ^ 1), 53, payload: 8);

        var sent = _lab.FromUplink(Packets.IcmpError(Router4, Uplink4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, guessed));

        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Fact]
    public void an_error_quoting_a_reply_the_client_received_is_not_passed_back_in()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 40000, 53, payload: 8), _lab.Work).Info.SourcePort;
        var replyAsSent = Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 8);

        var sent = _lab.FromUplink(Packets.IcmpError(Router4, Uplink4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort, replyAsSent));

        Assert.Equal(DropReason.IcmpErrorWithoutFlow, sent.Reason);
    }

    [Theory]
    [InlineData(Work6, Remote6, "ff02::1")]
    [InlineData(Work6, Remote6, "::")]
    [InlineData(Work6, Remote6, "::1")]
    [InlineData(Work6, Remote6, "::ffff:203.0.113.9")]
    [InlineData(Work4, Remote4, "127.0.0.1")]
    [InlineData(Work4, Remote4, "0.0.0.0")]
    [InlineData(Work4, Remote4, "224.0.0.1")]
    [InlineData(Work4, Remote4, "255.255.255.255")]
    public void an_error_from_an_address_no_packet_may_come_from_is_not_forwarded(string client, string remote, string reporter)
    {
        var left = _lab.Through(Packets.Udp(client, remote, 40000, 33434, payload: 24), _lab.Work);
        var v6 = reporter.Contains(':');
        var error = Packets.IcmpError(reporter, left.Info.Source.ToString(),
            v6 ? IcmpV6Message.DestinationUnreachable : IcmpV4Message.DestinationUnreachable, v6 ? (byte)4 : (byte)3, left.Packet);

        var sent = _lab.FromUplink(error);

        Assert.False(sent.Forwarded, $"forwarded an error from {reporter}");
        Assert.Equal(DropReason.NeverForwarded, sent.Reason);
    }
}
