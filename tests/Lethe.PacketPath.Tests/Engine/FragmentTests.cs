using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Fragments are not reassembled: a datagram's first fragment is judged like a whole packet, and its
/// later fragments follow it (same side, same addresses after NAT) while its flow lasts. A later
/// fragment whose first was not let through, and every TCP fragment, is dropped.
/// </summary>
public class FragmentTests
{
    private readonly EngineLab _lab = new(["action=accept"]);

    public static TheoryData<string, string> Families => new()
    {
        { Work4, Remote4 },
        { Work6, Remote6 },
    };

    public static TheoryData<string, string, int> LaterPieces => new()
    {
        { Work4, Remote4, 1 },
        { Work4, Remote4, 2 },
        { Work6, Remote6, 1 },
        { Work6, Remote6, 2 },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void an_allowed_datagram_in_fragments_leaves_whole_from_the_uplink_address(string client, string remote)
    {
        var uplink = UplinkFor(remote);
        var datagram = Packets.Udp(client, remote, 5000, 53, payload: 3000);

        var sent = Packets.Fragments(datagram, 1232).Select(f => _lab.FromWork(f)).ToArray();

        Assert.All(sent, s => Assert.True(s.Forwarded, $"dropped: {s.Reason}"));
        Assert.All(sent, s => Assert.Equal(NetAddress.Parse(uplink), s.Info.Source));
        Assert.All(sent, s => Assert.True(s.Info.Version == 6 || Ipv4Packet.Unchecked(s.Packet).VerifyHeaderChecksum(), "IPv4 header checksum"));
        var whole = Packets.Reassemble(sent.Select(s => s.Packet));
        var received = Packets.Parse(whole);
        var udp = UdpDatagram.Unchecked(whole.AsSpan(received.TransportOffset));
        Assert.True(udp.VerifyChecksum(received.Source, received.Destination), "the UDP checksum of the reassembled datagram");
        Assert.Equal(sent[0].Info.SourcePort, udp.SourcePort);
        Assert.Equal(53, udp.DestinationPort);
        Assert.Equal(datagram[^3000..], whole[^3000..]);
        Assert.Equal(1, _lab.Engine.Connections.Count);
    }

    /// <summary>
    /// With no device on the side a datagram is allowed to (here the uplink: no --uplink-tun), each of
    /// its fragments is a no-device drop, as the datagram whole would be: not held by the worker for a
    /// first fragment that seemed never to have passed, then counted as fragments without a flow.
    /// </summary>
    [Theory]
    [MemberData(nameof(Families))]
    public void each_fragment_of_a_datagram_allowed_to_a_side_no_device_serves_is_a_no_device_drop(string client, string remote)
    {
        _lab.Engine.SetEgressDevices(uplink: false, byClient: []);

        var sent = Packets.Fragments(Packets.Udp(client, remote, 5000, 53, payload: 3000), 1232).Select(f => _lab.SendMayHold(f, _lab.Work)).ToArray();

        Assert.Equal(3, sent.Length);
        Assert.All(sent, s => Assert.False(s.Outcome.Early, "held as come early"));
        Assert.All(sent, s => Assert.Equal(DropReason.NoDevice, s.Reason));
        Assert.Equal(0, _lab.Engine.ForwardedPackets);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void a_reply_in_fragments_reaches_the_client_whole(string client, string remote)
    {
        var uplink = UplinkFor(remote);
        var natPort = _lab.Through(Packets.Udp(client, remote, 5000, 53, payload: 20), _lab.Work).Info.SourcePort;

        var sent = Packets.Fragments(Packets.Udp(remote, uplink, 53, natPort, payload: 3000), 1232).Select(f => _lab.FromUplink(f)).ToArray();

        Assert.All(sent, s => Assert.True(s.Forwarded, $"dropped: {s.Reason}"));
        Assert.All(sent, s => Assert.Equal(_lab.Work, s.Outcome.Egress));
        Assert.All(sent, s => Assert.Equal(NetAddress.Parse(client), s.Info.Destination));
        var whole = Packets.Reassemble(sent.Select(s => s.Packet));
        var received = Packets.Parse(whole);
        var udp = UdpDatagram.Unchecked(whole.AsSpan(received.TransportOffset));
        Assert.True(udp.VerifyChecksum(received.Source, received.Destination), "the UDP checksum of the reassembled datagram");
        Assert.Equal(5000, udp.DestinationPort);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void a_large_ping_and_its_reply_pass_in_fragments(string client, string remote)
    {
        var uplink = UplinkFor(remote);

        var request = Packets.Fragments(Packets.IcmpEcho(client, remote, id: 77, sequence: 1, payload: 3000), 1232).Select(f => _lab.FromWork(f)).ToArray();
        var id = request[0].Info.SourcePort;
        var reply = Packets.Fragments(Packets.IcmpEcho(remote, uplink, id: id, sequence: 1, request: false, payload: 3000), 1232, identification: 0x9999)
            .Select(f => _lab.FromUplink(f)).ToArray();

        Assert.All(request.Concat(reply), s => Assert.True(s.Forwarded, $"dropped: {s.Reason}"));
        Assert.All(reply, s => Assert.Equal(NetAddress.Parse(client), s.Info.Destination));
    }

    [Theory]
    [MemberData(nameof(LaterPieces))]
    public void a_later_fragment_whose_first_did_not_pass_is_dropped_either_way(string client, string remote, int index)
    {
        var uplink = UplinkFor(remote);
        var natPort = _lab.Through(Packets.Udp(client, remote, 5000, 53, payload: 20), _lab.Work).Info.SourcePort;

        var outgoing = _lab.FromWork(Packets.Fragments(Packets.Udp(client, remote, 5000, 53, payload: 3000), 1232)[index]);
        var incoming = _lab.FromUplink(Packets.Fragments(Packets.Udp(remote, uplink, 53, natPort, payload: 3000), 1232)[index]);

        Assert.Equal(DropReason.FragmentWithoutFlow, outgoing.Reason);
        Assert.Equal(DropReason.FragmentWithoutFlow, incoming.Reason);
        Assert.Empty(outgoing.Reply);
        Assert.Empty(incoming.Reply);
    }

    [Fact]
    public void a_datagram_the_rules_drop_passes_no_fragment()
    {
        var lab = new EngineLab(["action=drop proto=udp dstports=53", "action=accept"]);
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480);

        var sent = fragments.Select(f => lab.FromWork(f)).ToArray();

        Assert.Equal(DropReason.RuleDrop, sent[0].Reason);
        Assert.All(sent[1..], s => Assert.Equal(DropReason.FragmentWithoutFlow, s.Reason));
        Assert.Equal(0, lab.Engine.ForwardedPackets);
        Assert.Equal(0, lab.Engine.Connections.Count);
    }

    [Fact]
    public void the_first_fragment_is_judged_by_its_ports()
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);

        var allowed = lab.FromWork(Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[0]);
        var other = lab.FromWork(Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 54, payload: 3000), 1480, identification: 0x4321)[0]);

        Assert.True(allowed.Forwarded);
        Assert.Equal(0, allowed.Outcome.RuleIndex);
        Assert.Equal(DropReason.RuleDrop, other.Reason);
    }

    [Fact]
    public void an_unsolicited_datagram_in_fragments_from_the_uplink_is_dropped()
    {
        var sent = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, 40000, payload: 3000), 1480).Select(f => _lab.FromUplink(f)).ToArray();

        Assert.Equal(DropReason.UnsolicitedFromUplink, sent[0].Reason);
        Assert.All(sent[1..], s => Assert.Equal(DropReason.FragmentWithoutFlow, s.Reason));
    }

    [Fact]
    public void tcp_fragments_are_dropped_even_in_an_open_flow()
    {
        _lab.Through(Packets.Tcp(Work4, Remote4, 5000, 443, TcpFlags.Syn), _lab.Work);

        foreach (var fragment in Packets.Fragments(Packets.Tcp(Work4, Remote4, 5000, 443, TcpFlags.Ack, payload: 4000), 1480))
        {
            Assert.Equal(DropReason.FragmentWithoutFlow, _lab.FromWork(fragment).Reason);
        }
        Assert.Equal(3, _lab.Engine.Drops[(int)DropReason.FragmentWithoutFlow]);
    }

    [Fact]
    public void two_datagrams_interleaved_each_keep_their_own_translation()
    {
        var lab = new EngineLab(["action=accept"], ["action=accept dst4=10.137.0.5", "action=accept"]);
        var fromWork = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480, identification: 1);
        var toWork = Packets.Fragments(Packets.Udp(Personal4, Work4, 6000, 7000, payload: 3000), 1480, identification: 1);

        var a0 = lab.FromWork(fromWork[0]);
        var b0 = lab.FromPersonal(toWork[0]);
        var b1 = lab.FromPersonal(toWork[1]);
        var a1 = lab.FromWork(fromWork[1]);

        Assert.All(new[] { a0, a1, b0, b1 }, s => Assert.True(s.Forwarded, $"dropped: {s.Reason}"));
        Assert.Equal(NetAddress.Parse(Uplink4), a1.Info.Source);
        Assert.Equal(Ingress.Uplink, a1.Outcome.Egress);
        Assert.Equal(NetAddress.Parse(Personal4), b1.Info.Source);
        Assert.Equal(lab.Work, b1.Outcome.Egress);
    }

    [Fact]
    public void later_fragments_stop_when_a_swap_cuts_their_flow()
    {
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480);
        Assert.True(_lab.FromWork(fragments[0]).Forwarded);

        _lab.Engine.Swap(WorkOnly(["action=drop"], version: 2), _lab.Now);

        Assert.Equal(DropReason.FragmentWithoutFlow, _lab.FromWork(fragments[1]).Reason);
    }

    [Fact]
    public void later_fragments_stop_thirty_seconds_after_the_first_even_while_the_flow_lasts()
    {
        var natPort = _lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), _lab.Work).Info.SourcePort;
        _lab.FromUplink(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 20));
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 6000), 1480);
        Assert.True(_lab.FromWork(fragments[0]).Forwarded);
        _lab.Now += 20_000;
        _lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), _lab.Work);
        Assert.True(_lab.FromWork(fragments[1]).Forwarded);
        _lab.Now += 10_000;
        _lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), _lab.Work);

        var late = _lab.FromWork(fragments[2]);

        Assert.Equal(DropReason.FragmentWithoutFlow, late.Reason);
    }

    [Fact]
    public void a_later_fragment_with_no_data_that_is_not_the_last_is_dropped()
    {
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);
        Assert.True(_lab.FromWork(Packets.Fragment(datagram, 0, 1480)).Forwarded);

        var empty = _lab.FromWork(Packets.Fragment(datagram, 1480, 0));

        Assert.Equal(DropReason.BadFragment, empty.Reason);
        Assert.True(_lab.FromWork(Packets.Fragment(datagram, 1480, 1480)).Forwarded);
    }

    [Fact]
    public void translated_datagrams_of_two_clients_leave_under_different_identifications()
    {
        var lab = new EngineLab(["action=accept"], ["action=accept"]);
        var unfinished = lab.FromWork(Packets.Fragment(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 0, 8, identification: 7));
        var other = Packets.Fragments(Packets.Udp(Personal4, Remote4, 6000, 53, payload: 3000), 1480, identification: 7)
            .Select(f => lab.FromPersonal(f)).ToArray();

        Assert.True(unfinished.Forwarded);
        Assert.All(other, s => Assert.True(s.Forwarded));
        var unfinishedId = Ipv4Packet.Unchecked(unfinished.Packet).Identification;
        Assert.All(other, s => Assert.NotEqual(unfinishedId, Ipv4Packet.Unchecked(s.Packet).Identification));
        Assert.Single(other.Select(s => Ipv4Packet.Unchecked(s.Packet).Identification).Distinct());
        Assert.All(other, s => Assert.True(Ipv4Packet.Unchecked(s.Packet).VerifyHeaderChecksum()));
    }

    [Fact]
    public void a_clients_second_first_fragment_is_counted_against_that_client()
    {
        var first = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[0];
        Assert.True(_lab.FromWork(first).Forwarded);

        var again = _lab.FromWork(first);

        Assert.Equal(DropReason.BadFragment, again.Reason);
        Assert.Equal(_lab.Work, again.Outcome.Client);
    }

    [Fact]
    public void a_later_fragment_out_of_hops_is_dropped_without_an_answer()
    {
        var first = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000, ttl: 64), 1480)[0];
        var later = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000, ttl: 1), 1480)[1];
        Assert.True(_lab.FromWork(first).Forwarded);

        var sent = _lab.FromWork(later);

        Assert.Equal(DropReason.TtlExceeded, sent.Reason);
        Assert.Empty(sent.Reply);
    }

    /// <summary>
    /// Behind a destination options header after the fragment header, the UDP header lies at bytes
    /// 8-15 of the fragmentable part, where a later fragment at offset 8 would land: a receiver that
    /// lets later data win would read the ports it carries, not the ones the rules judged.
    /// </summary>
    [Fact]
    public void a_later_fragment_overlapping_the_first_is_dropped_from_a_client()
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);
        var allowed = Packets.Udp(Work6, Remote6, 5000, 53, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        var denied = Packets.Udp(Work6, Remote6, 5000, 22, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        Assert.True(lab.FromWork(Packets.Fragments(allowed, 1232)[0]).Forwarded);

        var overlap = lab.FromWork(Packets.Fragment(denied, 8, 1224));

        Assert.Equal(DropReason.BadFragment, overlap.Reason);
        Assert.True(lab.FromWork(Packets.Fragments(allowed, 1232)[1]).Forwarded);
    }

    [Fact]
    public void a_later_fragment_overlapping_the_first_is_dropped_from_the_uplink()
    {
        var natPort = _lab.Through(Packets.Udp(Work6, Remote6, 5000, 53, payload: 20), _lab.Work).Info.SourcePort;
        var reply = Packets.Udp(Remote6, Uplink6, 53, natPort, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        var attack = Packets.Udp(Remote6, Uplink6, 53, 22, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        Assert.True(_lab.FromUplink(Packets.Fragments(reply, 1232)[0]).Forwarded);

        var overlap = _lab.FromUplink(Packets.Fragment(attack, 8, 1224));

        Assert.Equal(DropReason.BadFragment, overlap.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void later_fragments_of_a_refused_datagram_do_not_follow_an_earlier_one_of_the_same_key(bool laterOnesFirst)
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);
        var earlier = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480, identification: 7);
        Assert.All(earlier.Select(f => lab.FromWork(f)), s => Assert.True(s.Forwarded));
        var denied = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 9999, payload: 3000), 1480, identification: 7);

        var later = (laterOnesFirst ? denied[1..].Reverse() : []).Select(f => lab.FromWork(f).Reason).ToList();
        Assert.Equal(DropReason.RuleDrop, lab.FromWork(denied[0]).Reason);
        later.AddRange((laterOnesFirst ? [] : denied[1..]).Select(f => lab.FromWork(f).Reason));

        Assert.Equal([DropReason.FragmentWithoutFlow, DropReason.FragmentWithoutFlow], later);
    }

    [Fact]
    public void later_fragments_stop_when_their_clients_flow_ends_though_another_client_took_its_translation()
    {
        var timeouts = ConnectionTimeouts.Default with { UdpUnreplied = TimeSpan.FromSeconds(2), UdpStream = TimeSpan.FromSeconds(2) };
        var lab = new EngineLab(["action=accept"], ["action=accept"], Options with { Timeouts = timeouts });
        var natPort = lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), lab.Work).Info.SourcePort;
        var reply = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, natPort, payload: 3000), 1480, identification: 0x77);
        Assert.True(lab.FromUplink(reply[0]).Forwarded);
        lab.Now += 3_000;
        Assert.Equal(natPort, lab.Through(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 20), lab.Personal).Info.SourcePort);

        var later = lab.FromUplink(reply[1]);

        Assert.Equal(DropReason.FragmentWithoutFlow, later.Reason);
    }

    [Fact]
    public void a_later_fragment_for_one_client_does_not_follow_another_clients_datagram_of_the_same_key()
    {
        var lab = new EngineLab(["action=accept"], ["action=accept"]);
        var workPort = lab.Through(Packets.Udp(Work4, Remote4, 5000, 53, payload: 20), lab.Work).Info.SourcePort;
        var personalPort = lab.Through(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 20), lab.Personal).Info.SourcePort;
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        Assert.All(toWork.Select(f => lab.FromUplink(f)), s => Assert.True(s.Forwarded));
        lab.Now += 5_000;
        var toPersonal = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 3000), 1480, identification: 0x4242);

        var tail = lab.FromUplink(toPersonal[2]);

        Assert.Equal(DropReason.FragmentWithoutFlow, tail.Reason);
    }

    [Fact]
    public void a_second_first_fragment_while_the_datagram_of_its_key_passes_is_dropped()
    {
        var lab = new EngineLab(["action=accept proto=udp dstports=53", "action=drop"]);
        var allowed = Packets.Udp(Work6, Remote6, 5000, 53, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        var denied = Packets.Udp(Work6, Remote6, 5000, 22, payload: 3000, extensionHeaders: [IpProtocol.DestinationOptions]);
        Assert.True(lab.FromWork(Packets.Fragment(Packets.Udp(Work6, Remote6, 5000, 53, payload: 3000), 0, 8, identification: 0x99)).Forwarded);

        var overlap = lab.FromWork(Packets.Fragment(denied, 8, 1224, identification: 0x99));
        var first = lab.FromWork(Packets.Fragment(allowed, 0, 1232, identification: 0x99));

        Assert.True(overlap.Forwarded, "the later fragment continues the first datagram where it ended");
        Assert.Equal(DropReason.BadFragment, first.Reason);
    }

    [Fact]
    public void a_later_fragment_after_a_gap_is_dropped_and_so_is_the_rest_of_its_datagram()
    {
        var fragments = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 6000), 1480);
        Assert.True(_lab.FromWork(fragments[0]).Forwarded);

        var afterGap = _lab.FromWork(fragments[2]);
        var late = _lab.FromWork(fragments[1]);

        Assert.Equal(DropReason.FragmentWithoutFlow, afterGap.Reason);
        Assert.True(late.Forwarded);
        Assert.Equal(DropReason.FragmentWithoutFlow, _lab.FromWork(fragments[3]).Reason);
    }

    [Fact]
    public void a_clients_flood_of_first_fragments_takes_its_own_oldest_datagrams_not_another_clients()
    {
        var lab = new EngineLab(["action=accept"], ["action=accept"]);
        var personal = Packets.Fragments(Packets.Udp(Personal4, Remote4, 6000, 53, payload: 3000), 1480, identification: 0x77);
        Assert.True(lab.FromPersonal(personal[0]).Forwarded);
        var flood = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);

        for (var id = 0u; id < 5_000; id++)
        {
            lab.Now++;
            Assert.True(lab.FromWork(Packets.Fragment(flood, 0, 1480, identification: id)).Forwarded);
        }
        var rest = personal[1..].Select(f => lab.FromPersonal(f)).ToArray();

        Assert.All(rest, r => Assert.True(r.Forwarded, $"personal's later fragment: {r.Reason}"));
        Assert.Equal(DropReason.FragmentWithoutFlow, lab.FromWork(Packets.Fragment(flood, 1480, 1480, identification: 0)).Reason);
        Assert.True(lab.FromWork(Packets.Fragment(flood, 1480, 1480, identification: 4_999)).Forwarded);
    }

    /// <summary>
    /// A datagram to the firewall's own address is refused as a drop rule answers, but only its first
    /// fragment may be answered (RFC 1812 §4.3.2.7): a later one's answer would quote payload where the
    /// client looks for ports, and each would spend the client's answer budget.
    /// </summary>
    [Theory]
    [InlineData(Work4, Uplink4)]
    [InlineData(Work6, Uplink6)]
    public void no_answer_is_sent_about_a_later_fragment_addressed_to_the_firewall(string client, string firewall)
    {
        var lab = new EngineLab(["action=accept"]);
        var fragments = Packets.Fragments(Packets.Udp(client, firewall, 5000, 53, payload: 3000), 1232);
        Assert.NotEmpty(lab.FromWork(fragments[0]).Reply);

        var later = fragments[1..].Select(f => lab.FromWork(f)).ToArray();

        Assert.All(later, s => Assert.Equal(DropReason.AddressedToFirewall, s.Reason));
        Assert.All(later, s => Assert.Empty(s.Reply));
    }

    private static string UplinkFor(string remote) => remote == Remote4 ? Uplink4 : Uplink6;
}
