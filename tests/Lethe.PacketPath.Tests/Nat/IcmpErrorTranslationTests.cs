using Lethe.PacketPath.Nat;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Nat.NatPackets;

namespace Lethe.PacketPath.Tests.Nat;

public class IcmpErrorTranslationTests
{
    private const ushort ClientPort = 51000;
    private const ushort NatPort = 40001;

    /// <summary>The client's packet and the same packet as it left the uplink.</summary>
    private static (byte[] Sent, byte[] Translated) Outbound(byte[] sent)
    {
        var translated = sent.ToArray();
        var info = Info(translated);
        Assert.True(NatRewriter.RewriteSource(translated, ref info, info.Version == 6 ? Uplink6 : Uplink4, NatPort));
        return (sent, translated);
    }

    private static void AssertTranslatedBack(byte[] error, byte[] sent, int quoted)
    {
        var v6 = error[0] >> 4 == 6;
        var info = Info(error);

        Assert.True(NatRewriter.TranslateIcmpError(error, ref info, v6 ? Client6 : Client4, ClientPort));

        Assert.Equal(v6 ? Client6 : Client4, Destination(error));
        Assert.Equal(v6 ? Client6 : Client4, info.Destination);
        Assert.True(HeaderChecksumVerifies(error));
        Assert.True(TransportChecksumVerifies(error));
        var quote = error.AsSpan(info.EmbeddedOffset);
        Assert.True(HeaderChecksumVerifies(quote));
        // The quote reads again exactly as the client sent it.
        Assert.Equal(sent.AsSpan(0, quoted).ToArray(), quote.ToArray());
        if (quoted == sent.Length)
        {
            Assert.True(TransportChecksumVerifies(quote));
        }
    }

    [Fact]
    public void port_unreachable_quoting_a_whole_udp_datagram_goes_back_to_the_client()
    {
        var (sent, translated) = Outbound(Udp(Client4, Remote4, ClientPort, 53, Payload(30)));
        var error = IcmpError(Remote4, Uplink4, type: 3, code: 3, translated);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void time_exceeded_quoting_the_first_8_bytes_of_tcp_is_translated_without_the_tcp_checksum()
    {
        var (sent, translated) = Outbound(Tcp(Client4, Remote4, ClientPort, 443, 0x02));
        var error = IcmpError(Router4, Uplink4, type: 11, code: 0, translated.AsSpan(0, 28));

        AssertTranslatedBack(error, sent, 28);
    }

    [Fact]
    public void time_exceeded_quoting_a_whole_tcp_segment_fixes_the_quoted_tcp_checksum()
    {
        var (sent, translated) = Outbound(Tcp(Client4, Remote4, ClientPort, 443, 0x18, Payload(20)));
        var error = IcmpError(Router4, Uplink4, type: 11, code: 0, translated);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void fragmentation_needed_quoting_an_echo_request_restores_the_clients_identifier()
    {
        var sent = Echo(Client4, Remote4, id: ClientPort, sequence: 3, payload: Payload(40));
        var (_, translated) = Outbound(sent);
        var error = IcmpError(Router4, Uplink4, type: 3, code: 4, translated, word: 1400);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void packet_too_big_quoting_a_tcp_segment_over_ipv6_verifies_with_the_pseudo_header()
    {
        var (sent, translated) = Outbound(Tcp(Client6, Remote6, ClientPort, 443, 0x18, Payload(64)));
        var error = IcmpError(Router6, Uplink6, type: 2, code: 0, translated, word: 1280);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void time_exceeded_quoting_a_udp_datagram_over_ipv6_goes_back_to_the_client()
    {
        var (sent, translated) = Outbound(Udp(Client6, Remote6, ClientPort, 53, Payload(33)));
        var error = IcmpError(Router6, Uplink6, type: 3, code: 0, translated);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void port_unreachable_quoting_the_first_8_bytes_of_tcp_over_ipv6_is_translated()
    {
        var (sent, translated) = Outbound(Tcp(Client6, Remote6, ClientPort, 443, 0x02));
        var error = IcmpError(Remote6, Uplink6, type: 1, code: 4, translated.AsSpan(0, 48));

        AssertTranslatedBack(error, sent, 48);
    }

    [Fact]
    public void destination_unreachable_quoting_an_icmpv6_echo_request_restores_the_identifier()
    {
        var sent = Echo(Client6, Remote6, id: ClientPort, sequence: 3, payload: Payload(16));
        var (_, translated) = Outbound(sent);
        var error = IcmpError(Router6, Uplink6, type: 1, code: 0, translated);

        AssertTranslatedBack(error, sent, sent.Length);
    }

    [Fact]
    public void a_quoted_udp_datagram_without_checksum_keeps_its_zero_checksum()
    {
        var (sent, translated) = Outbound(Udp(Client4, Remote4, ClientPort, 53, Payload(8), withoutChecksum: true));
        var error = IcmpError(Remote4, Uplink4, type: 3, code: 3, translated);

        AssertTranslatedBack(error, sent, sent.Length);
        Assert.Equal(0, Word(error, 28 + 20 + 6));
    }

    [Fact]
    public void a_quoted_udp_datagram_over_ipv6_without_checksum_keeps_its_zero_checksum()
    {
        var (sent, translated) = Outbound(Udp(Client6, Remote6, ClientPort, 4789, Payload(8), withoutChecksum: true));
        var error = IcmpError(Remote6, Uplink6, type: 1, code: 4, translated);
        var info = Info(error);

        Assert.True(NatRewriter.TranslateIcmpError(error, ref info, Client6, ClientPort));

        Assert.True(TransportChecksumVerifies(error));
        Assert.Equal(sent, error.AsSpan(info.EmbeddedOffset).ToArray());
    }

    [Theory]
    [InlineData(135)] // mobility
    [InlineData(139)] // HIP
    [InlineData(140)] // shim6
    [InlineData(253)] // experimental
    public void an_icmpv6_error_quoting_a_header_the_path_tracks_as_the_protocol_goes_back_to_the_client(byte protocol)
    {
        // The forward path stops its header walk at these and tracks the flow by addresses, so the quote is read the same way.
        var (sent, translated) = Outbound(Ip(Client6, Remote6, protocol, Payload(24)));
        var error = IcmpError(Router6, Uplink6, type: 1, code: 1, translated);
        var info = Info(error);

        Assert.True(NatRewriter.TryReadQuotedFlow(error, in info, out var quoted));
        Assert.Equal(protocol, quoted.Protocol);
        Assert.True(NatRewriter.TranslateIcmpError(error, ref info, Client6, ClientPort));
        Assert.Equal(Client6, Destination(error));
        Assert.True(TransportChecksumVerifies(error));
        Assert.Equal(sent, error[48..]);
    }

    [Fact]
    public void a_quote_too_short_to_show_the_ports_is_refused_and_left_untouched()
    {
        var (_, translated) = Outbound(Udp(Client4, Remote4, ClientPort, 53, Payload(8)));
        var error = IcmpError(Remote4, Uplink4, type: 3, code: 3, translated.AsSpan(0, 22));
        var before = error.ToArray();
        var info = Info(error);

        Assert.False(NatRewriter.TryReadQuotedFlow(error, in info, out _));
        Assert.False(NatRewriter.TranslateIcmpError(error, ref info, Client4, ClientPort));
        Assert.Equal(before, error);
    }

    [Fact]
    public void an_error_is_traced_to_its_flow_through_the_quote_and_translated_with_the_flows_original_key()
    {
        var table = new ConnectionTable(new ConnectionLimits { Capacity = 64 }, ConnectionTimeouts.Default, hashSeed: 1);
        var ports = new PortAllocator(table, PortRange.Default, secret: 2);
        var sent = Udp(Client4, Remote4, ClientPort, 53, Payload(30));
        var original = FlowKey.From(Info(sent));
        Assert.True(ports.TryAllocate(in original, Uplink4, nowMs: 0, out var reply, out _));
        Assert.True(table.TryCreate(in original, in reply, client: 0, ruleIndex: 3, tcpFlags: 0, nowMs: 0, out var entry, out _));
        var translated = sent.ToArray();
        var outInfo = Info(translated);
        Assert.True(NatRewriter.RewriteSource(translated, ref outInfo, reply.Destination, reply.DestinationPort));
        var error = IcmpError(Router4, Uplink4, type: 11, code: 0, translated);
        var info = Info(error);

        Assert.True(NatRewriter.TryReadQuotedFlow(error, in info, out var quoted));
        Assert.True(table.Lookup(quoted.Reversed(), nowMs: 1_000, out var found, out var isReply));
        Assert.Equal(entry, found);
        Assert.True(isReply);
        var flow = table.OriginalKey(found);
        Assert.True(NatRewriter.TranslateIcmpError(error, ref info, flow.Source, flow.SourcePort));
        Assert.Equal(sent, error[28..]);
        Assert.True(TransportChecksumVerifies(error));
    }

    [Fact]
    public void a_clients_port_unreachable_about_a_reply_leaves_as_the_uplink()
    {
        var reply = Udp(Remote4, Uplink4, 53, NatPort, Payload(12));
        var delivered = reply.ToArray();
        var deliveredInfo = Info(delivered);
        Assert.True(NatRewriter.RewriteDestination(delivered, ref deliveredInfo, Client4, ClientPort));
        var error = IcmpError(Client4, Remote4, type: 3, code: 3, delivered);
        var info = Info(error);

        Assert.True(NatRewriter.TranslateOutgoingIcmpError(error, ref info, Uplink4, NatPort));

        Assert.Equal(Uplink4, Source(error));
        Assert.True(HeaderChecksumVerifies(error));
        Assert.True(TransportChecksumVerifies(error));
        Assert.Equal(reply, error[28..]);
    }

    [Fact]
    public void a_clients_icmpv6_error_about_a_reply_leaves_as_the_uplink()
    {
        var reply = Udp(Remote6, Uplink6, 53, NatPort, Payload(12));
        var delivered = reply.ToArray();
        var deliveredInfo = Info(delivered);
        Assert.True(NatRewriter.RewriteDestination(delivered, ref deliveredInfo, Client6, ClientPort));
        var error = IcmpError(Client6, Remote6, type: 1, code: 4, delivered);
        var info = Info(error);

        Assert.True(NatRewriter.TranslateOutgoingIcmpError(error, ref info, Uplink6, NatPort));

        Assert.Equal(Uplink6, Source(error));
        Assert.True(TransportChecksumVerifies(error));
        Assert.Equal(reply, error[48..]);
    }
}
