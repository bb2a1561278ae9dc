using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// A later fragment that comes before its first fragment, or after a gap, is left to a caller that
/// holds it (the live worker), uncounted, and judged when its turn comes as if it had come in order.
/// </summary>
public class EarlyFragmentTests
{
    private readonly EngineLab _lab = new(["action=accept proto=udp dstports=53", "action=drop"]);

    public static TheoryData<string, string, int[]> Orders => new()
    {
        { Work4, Remote4, [2, 0, 1] },
        { Work4, Remote4, [1, 0, 2] },
        { Work6, Remote6, [2, 0, 1] },
        { Work6, Remote6, [1, 0, 2] },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void fragments_out_of_order_are_held_then_pass_in_order_translated(string client, string remote, int[] order)
    {
        var fragments = Packets.Fragments(Packets.Udp(client, remote, 5000, 53, payload: 3000), 1232);
        var held = new List<byte[]>();
        var left = new List<Sent>();

        foreach (var index in order)
        {
            var sent = _lab.SendMayHold(fragments[index], _lab.Work);
            if (sent.Outcome.Early)
            {
                held.Add(fragments[index]);
            }
            else
            {
                Assert.True(sent.Forwarded, $"fragment {index} dropped: {sent.Reason}");
                left.Add(sent);
            }
            // What the worker does after each fragment: send on those held whose turn came.
            for (var next = Continuing(held); next >= 0; next = Continuing(held))
            {
                left.Add(_lab.Send(held[next], _lab.Work));
                held.RemoveAt(next);
            }
        }

        Assert.Empty(held);
        Assert.All(left, s => Assert.True(s.Forwarded, $"dropped: {s.Reason}"));
        Assert.Equal([0, 1, 2], left.Select(s => s.Info.FragmentOffset / 1232));
        Assert.All(left, s => Assert.Equal(NetAddress.Parse(remote == Remote4 ? Uplink4 : Uplink6), s.Info.Source));
        var whole = Packets.Reassemble(left.Select(s => s.Packet));
        var received = Packets.Parse(whole);
        var udp = UdpDatagram.Unchecked(whole.AsSpan(received.TransportOffset));
        Assert.True(udp.VerifyChecksum(received.Source, received.Destination), "the UDP checksum of the reassembled datagram");
        Assert.Equal(left[0].Info.SourcePort, udp.SourcePort);
        Assert.Equal(0, _lab.Engine.Drops[(int)DropReason.FragmentWithoutFlow]);
    }

    [Fact]
    public void an_early_fragment_is_held_for_the_client_it_belongs_to_and_only_if_it_could_pass()
    {
        Assert.True(MayHold(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), _lab.Work, out var client));
        Assert.Equal(_lab.Work, client);
        // Untranslated (no uplink address for the family): addressed to its client.
        var routed = new EngineLab(["action=accept"], options: EngineLab.Options with { UplinkV4 = null });
        Assert.True(routed.Engine.MayHold(Packets.Parse(Packets.Fragments(Packets.Udp(Remote4, Personal4, 53, 5000, payload: 3000), 1232)[1]),
            Ingress.Uplink, routed.Now, out client));
        Assert.Equal(routed.Personal, client);
        // Translated: its client shows only with its first fragment.
        Assert.True(MayHold(Packets.Udp(Remote4, Uplink4, 53, 5000, payload: 3000), Ingress.Uplink, out client));
        Assert.Equal(Ingress.Uplink, client);

        Assert.False(MayHold(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 3000), _lab.Work, out _));
        Assert.False(MayHold(Packets.Udp(Remote4, Router4, 53, 5000, payload: 3000), Ingress.Uplink, out _));
        Assert.False(MayHold(Packets.Udp(Work4, Remote4, 53, 5000, payload: 3000), Ingress.Uplink, out _));
        Assert.False(MayHold(Packets.Tcp(Work4, Remote4, 5000, 53, TcpFlags.Ack, payload: 3000), _lab.Work, out _));
        // Where the family is translated, nothing from the uplink to a client's own address passes.
        Assert.False(MayHold(Packets.Udp(Remote4, Personal4, 53, 5000, payload: 3000), Ingress.Uplink, out _));
        Assert.False(MayHold(Packets.Udp(Remote6, Work6, 53, 5000, payload: 3000), Ingress.Uplink, out _));
        // Never forwarded, whatever the rules say.
        Assert.False(MayHold(Packets.Udp(Work4, "239.1.2.3", 5000, 7, payload: 3000), _lab.Work, out _));
        Assert.False(MayHold(Packets.Udp(Work6, "ff02::fb", 5353, 5353, payload: 3000), _lab.Work, out _));
        Assert.False(MayHold(Packets.Udp("224.0.0.251", Uplink4, 5353, 5353, payload: 3000), Ingress.Uplink, out _));
    }

    [Fact]
    public void a_translated_fragment_after_a_gap_is_held_for_the_client_whose_datagram_passes()
    {
        Assert.True(_lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53)).Forwarded);
        var reply = Packets.Udp(Remote4, Uplink4, 53, _lab.FromWork(Packets.Udp(Work4, Remote4, 5000, 53)).Info.SourcePort, payload: 3000);
        var fragments = Packets.Fragments(reply, 1232);
        Assert.True(_lab.FromUplink(fragments[0]).Forwarded);

        Assert.True(_lab.Engine.MayHold(Packets.Parse(fragments[2]), Ingress.Uplink, _lab.Now, out var client));
        Assert.Equal(_lab.Work, client);
    }

    private bool MayHold(byte[] datagram, int ingress, out int client) =>
        _lab.Engine.MayHold(Packets.Parse(Packets.Fragments(datagram, 1232)[1]), ingress, _lab.Now, out client);

    [Fact]
    public void a_held_fragment_that_overlaps_what_passed_is_judged_as_a_bad_fragment_when_its_turn_comes()
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);
        var allowed = Packets.Udp(Work6, Remote6, 5000, 53, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        var denied = Packets.Udp(Work6, Remote6, 5000, 22, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        var overlap = Packets.Fragment(denied, 8, 1224);
        Assert.True(lab.SendMayHold(overlap, lab.Work).Outcome.Early);
        Assert.True(lab.FromWork(Packets.Fragments(allowed, 1232)[0]).Forwarded);

        Assert.True(lab.Engine.Continues(Packets.Parse(overlap), lab.Work, lab.Now));
        Assert.Equal(DropReason.BadFragment, lab.FromWork(overlap).Reason);
    }

    [Fact]
    public void a_fragment_after_a_gap_waits_for_the_gap_and_one_of_a_datagram_refused_never_gets_its_turn()
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 6000), 1480);
        var refused = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 54, payload: 3000), 1480, identification: 0x99);
        Assert.True(lab.FromWork(fragments[0]).Forwarded);

        var afterGap = lab.SendMayHold(fragments[2], lab.Work);
        var refusedTail = lab.SendMayHold(refused[1], lab.Work);
        Assert.Equal(DropReason.RuleDrop, lab.FromWork(refused[0]).Reason);

        Assert.True(afterGap.Outcome.Early);
        Assert.False(afterGap.Forwarded);
        Assert.False(lab.Engine.Continues(Packets.Parse(fragments[2]), lab.Work, lab.Now));
        Assert.True(lab.FromWork(fragments[1]).Forwarded);
        Assert.True(lab.Engine.Continues(Packets.Parse(fragments[2]), lab.Work, lab.Now));
        Assert.True(refusedTail.Outcome.Early);
        Assert.False(lab.Engine.Continues(Packets.Parse(refused[1]), lab.Work, lab.Now));
        Assert.Equal(0, lab.Engine.Drops[(int)DropReason.FragmentWithoutFlow]);
        lab.Engine.DropHeldFragment();
        Assert.Equal(1, lab.Engine.Drops[(int)DropReason.FragmentWithoutFlow]);
    }

    [Theory]
    [InlineData(Work4, Remote4)]
    [InlineData(Work6, Remote6)]
    public void a_tcp_fragment_is_not_held(string from, string to)
    {
        var later = _lab.SendMayHold(Packets.Fragments(Packets.Tcp(from, to, 5000, 53, TcpFlags.Ack, payload: 4000), 1232)[1], _lab.Work);

        Assert.False(later.Outcome.Early);
        Assert.Equal(DropReason.FragmentWithoutFlow, later.Reason);
    }

    private int Continuing(List<byte[]> held) => held.FindIndex(f => _lab.Engine.Continues(Packets.Parse(f), _lab.Work, _lab.Now));
}
