using System.Buffers.Binary;
using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;
using static Lethe.PacketPath.Tests.Engine.WireCheck;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A client's IPv4 packet whose options Linux refuses is dropped and answered as Linux answers it
/// before any hook (ip_options_compile): parameter problem, code 0, pointing at the offending octet of
/// the IP header; from the firewall's address, within the answers' rate limit, as a drop is answered.
/// </summary>
public class OptionProblemAnswerTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    // The options start at byte 20 of the IP header; Packets pads them with End of Option List.
    [Theory]
    [InlineData(new byte[] { 7, 7, 1, 0, 0, 0, 0 }, 22, DropReason.BadHeaderLength)]                 // record route pointing before its first slot
    [InlineData(new byte[] { 1, 7, 7, 3, 0, 0, 0 }, 23, DropReason.BadHeaderLength)]                 // the same after a NOP
    [InlineData(new byte[] { 7, 7, 5, 0, 0, 0, 0 }, 22, DropReason.BadHeaderLength)]                 // record route pointing into its last slot
    [InlineData(new byte[] { 7, 7, 4, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0 }, 27, DropReason.BadHeaderLength)] // record route twice
    [InlineData(new byte[] { 68, 8, 4, 0, 0, 0, 0, 0 }, 22, DropReason.BadHeaderLength)]             // timestamp pointing before its first slot
    [InlineData(new byte[] { 68, 8, 5, 1, 0, 0, 0, 0 }, 22, DropReason.BadHeaderLength)]             // address and timestamp with room for the address only
    [InlineData(new byte[] { 68, 8, 9, 0xF0, 0, 0, 0, 0 }, 23, DropReason.BadHeaderLength)]          // timestamp full, its overflow count at 15
    [InlineData(new byte[] { 68, 8, 5, 0, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0 }, 28, DropReason.BadHeaderLength)] // timestamp twice
    [InlineData(new byte[] { 148, 2, 1, 0 }, 21, DropReason.BadHeaderLength)]                        // router alert of length 2
    [InlineData(new byte[] { 134, 6, 0, 0, 0, 1 }, 21, DropReason.BadHeaderLength)]                  // CIPSO shorter than 8 bytes
    [InlineData(new byte[] { 134, 10, 0, 0, 0, 1, 1, 4, 0, 0 }, 22, DropReason.BadHeaderLength)]     // CIPSO of a domain Linux does not know
    [InlineData(new byte[] { 1, 1, 1, 30 }, 23, DropReason.BadHeaderLength)]                         // an option with no room for its length
    [InlineData(new byte[] { 30, 1, 0, 0 }, 20, DropReason.BadHeaderLength)]                         // an option of length 1
    [InlineData(new byte[] { 30, 9, 0, 0, 0, 0, 0, 0 }, 20, DropReason.BadHeaderLength)]             // an option longer than the header
    [InlineData(new byte[] { 131, 7, 4, 203, 0, 113, 9, 137, 7, 4, 203, 0, 113, 9 }, 27, DropReason.SourceRouted)] // two source routes
    [InlineData(new byte[] { 131, 7, 3, 203, 0, 113, 9 }, 22, DropReason.SourceRouted)]              // a source route pointing before its first slot
    public void a_clients_packet_with_options_linux_refuses_is_answered_with_a_parameter_problem_pointing_at_the_fault(
        byte[] options, int pointer, DropReason reason)
    {
        var sent = Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: options);

        var outcome = _lab.FromWork(sent);

        Assert.Equal((false, reason), (outcome.Forwarded, outcome.Reason));
        Assert.NotEmpty(outcome.Reply);
        Assert.Equal(_lab.Work, outcome.Outcome.ReplyEgress);
        var answer = outcome.ReplyInfo;
        Assert.Equal((Address(Uplink4), Address(Work4)), (answer.Source, answer.Destination));
        Assert.Equal((IcmpV4Message.ParameterProblem, (byte)0), (answer.IcmpType, answer.IcmpCode));
        Assert.Equal(pointer, outcome.Reply[answer.TransportOffset + 4]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(outcome.Reply.AsSpan(answer.TransportOffset + 6)) | outcome.Reply[answer.TransportOffset + 5]);
        Assert.Equal(sent, outcome.Reply[answer.EmbeddedOffset..]);
        Assert.True(Ipv4Packet.Unchecked(outcome.Reply).VerifyHeaderChecksum());
        Assert.True(IcmpV4Message.Unchecked(outcome.Reply.AsSpan(answer.TransportOffset)).VerifyChecksum());
        Assert.Equal(0, _lab.Engine.Connections.Count);
    }

    [Theory]
    [InlineData(new byte[] { 1, 131, 7, 4, 203, 0, 113, 9 })] // one source route: Linux drops it silently
    [InlineData(new byte[] { 7, 7, 4, 0, 0, 0, 0 })]          // a record route with room for one address passes
    public void options_linux_takes_or_drops_silently_get_no_parameter_problem(byte[] options)
    {
        var outcome = _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: options));

        Assert.True(outcome.Forwarded || outcome.Reason == DropReason.SourceRouted, outcome.Reason.ToString());
        Assert.Empty(outcome.Reply);
    }

    [Fact]
    public void a_replays_packet_from_a_clients_address_is_answered_as_the_clients()
    {
        var sent = Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: [148, 2, 1, 0]);

        var outcome = _lab.Send(sent, Ingress.BySource);

        Assert.Equal(DropReason.BadHeaderLength, outcome.Reason);
        Assert.Equal((_lab.Work, _lab.Work), (outcome.Outcome.Client, outcome.Outcome.ReplyEgress));
        Assert.Equal(IcmpV4Message.ParameterProblem, outcome.ReplyInfo.IcmpType);
    }

    [Fact]
    public void silent_drop_leaves_it_answered_as_it_leaves_time_exceeded()
    {
        // --silent-drop silences the refusals of the rules; a malformed header is no refusal of theirs, and the kernel answers it under any ruleset.
        var lab = new EngineLab(["action=drop"], options: Options with { SilentDrop = true });

        var outcome = lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: [148, 2, 1, 0]));

        Assert.Equal(IcmpV4Message.ParameterProblem, outcome.ReplyInfo.IcmpType);
    }

    [Fact]
    public void no_answer_goes_where_lethe_answers_nothing()
    {
        byte[] refused = [148, 2, 1, 0];
        var badChecksum = Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: refused);
        badChecksum[10] ^= 0x55;
        var later = Packets.Udp(Work4, Remote4, 5000, 53, payload: 20, ipv4Options: refused);
        later[6] = 0x00;
        later[7] = 0x10; // a later fragment, at offset 128
        later[10] = later[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(10), Checksum.Compute(later.AsSpan(0, 24)));
        var error = Packets.IcmpError(Work4, Remote4, IcmpV4Message.DestinationUnreachable, IcmpV4Message.UnreachablePort,
            Packets.Udp(Remote4, Work4, 53, 5000, payload: 8));
        var errorWithOptions = Packets.Ip(Work4, Remote4, IpProtocol.Icmp, error[20..], ipv4Options: refused);

        (string What, Sent Outcome)[] unanswered =
        [
            ("from the uplink", _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, 5000, payload: 20, ipv4Options: refused))),
            ("from another client's address", _lab.FromWork(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 20, ipv4Options: refused))),
            ("to a broadcast", _lab.FromWork(Packets.Udp(Work4, "255.255.255.255", 5000, 53, payload: 20, ipv4Options: refused))),
            ("to a multicast group", _lab.FromWork(Packets.Udp(Work4, "224.0.0.251", 5000, 5353, payload: 20, ipv4Options: refused))),
            ("with a bad header checksum", _lab.FromWork(badChecksum)),
            ("a later fragment", _lab.FromWork(later)),
            ("an ICMP error", _lab.FromWork(errorWithOptions)),
        ];

        foreach (var (what, outcome) in unanswered)
        {
            Assert.False(outcome.Forwarded, what);
            Assert.True(outcome.Reply.Length == 0, $"{what} was answered");
        }
    }

    [Fact]
    public void no_answer_goes_to_the_directed_broadcast_of_the_uplinks_prefix()
    {
        // The kernel holding the prefix takes the broadcast as its own and, as for any broadcast, sends no ICMP about it.
        var lab = new EngineLab(["action=accept"], options: Options with { UplinkPrefixLengthV4 = 24 });

        var outcome = lab.FromWork(Packets.Udp(Work4, "198.51.100.255", 5000, 53, payload: 20, ipv4Options: [148, 2, 1, 0]));

        Assert.False(outcome.Forwarded);
        Assert.Empty(outcome.Reply);
    }

    [Fact]
    public void the_answers_share_the_senders_rate_limit()
    {
        var lab = new EngineLab(["action=accept"], options: Options with { ReplyBurst = 5, RepliesPerSecond = 2 });
        var answered = 0;
        for (var i = 0; i < 30; i++)
        {
            answered += lab.FromWork(Packets.Udp(Work4, Remote4, (ushort)(5000 + i), 53, payload: 8, ipv4Options: [148, 2, 1, 0])).Reply.Length > 0 ? 1 : 0;
        }

        Assert.Equal(5, answered);
        Assert.Equal(30, lab.Engine.Drops[(int)DropReason.BadHeaderLength]);
    }
}
