using Lethe.PacketPath.Engine;
using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Engine;

/// <summary>
/// Fragments across two workers, each with its engine over its shard, routed as the live firewall
/// routes them (<see cref="FragmentRoutes"/>, forgotten when a datagram ends): what one worker would do.
/// </summary>
public class FragmentWorkerTests
{
    private readonly FlowShards _shards = new(2, secret: 11);
    private readonly FragmentRoutes _routes = new(seed: 5);
    private readonly EngineLab[] _labs;

    public FragmentWorkerTests() =>
        _labs = [.. new[] { 0, 1 }.Select(w => new EngineLab(["action=accept"], ["action=accept"], Options with { Shards = _shards, Shard = w }))];

    private int Work => _labs[0].Work;

    private int Personal => _labs[0].Personal;

    [Fact]
    public void a_second_first_fragment_for_another_clients_flow_neither_passes_nor_takes_the_rest_of_the_datagram()
    {
        var workPort = Open(Work4, Work, shard: 0);
        var personalPort = Open(Personal4, Personal, shard: 1);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        var toPersonal = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 3000), 1480, identification: 0x4242);
        var first = Send(toWork[0], Ingress.Uplink);
        Assert.True(first.Forwarded);
        Assert.Equal(Work, first.Outcome.Egress);

        var second = Send(toPersonal[0], Ingress.Uplink);
        var rest = toWork[1..].Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.Equal(DropReason.BadFragment, second.Reason);
        Assert.All(rest, r => Assert.True(r.Forwarded && r.Outcome.Egress == Work, $"work's later fragment: {r.Reason}, to {r.Outcome.Egress}"));
    }

    [Fact]
    public void a_forged_first_fragment_does_not_take_the_route_of_a_datagram_passing()
    {
        // Work's flow off shard 0, where a later fragment without a route would land anyway.
        var workPort = Open(Work4, Work, shard: 1);
        var forged = Enumerable.Range(20000, 1000).Select(p => Packets.Udp(Remote4, Uplink4, 53, (ushort)p, payload: 3000))
            .First(p => _shards.Of(FlowKey.From(Packets.Parse(p))) == 0);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        Assert.True(Send(toWork[0], Ingress.Uplink).Forwarded);

        Assert.False(Send(Packets.Fragments(forged, 1480, identification: 0x4242)[0], Ingress.Uplink).Forwarded);
        var rest = toWork[1..].Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.All(rest, r => Assert.True(r.Forwarded, $"work's later fragment dropped: {r.Reason}"));
    }

    [Fact]
    public void once_a_datagram_ended_the_next_of_its_key_goes_by_its_own_flow()
    {
        var workPort = Open(Work4, Work, shard: 0);
        var personalPort = Open(Personal4, Personal, shard: 1);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        Assert.All(toWork.Select(f => Send(f, Ingress.Uplink)), s => Assert.True(s.Forwarded));

        var toPersonal = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 3000), 1480, identification: 0x4242)
            .Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.All(toPersonal, s => Assert.True(s.Forwarded && s.Outcome.Egress == Personal, $"personal's fragment: {s.Reason}, to {s.Outcome.Egress}"));
    }

    [Fact]
    public void a_flood_of_first_fragments_that_are_dropped_leaves_the_route_of_a_datagram_passing()
    {
        var workPort = Open(Work4, Work, shard: 1);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        Assert.True(Send(toWork[0], Ingress.Uplink).Forwarded);
        var unsolicited = Packets.Udp(Router4, Uplink4, 53, 40000, payload: 3000);

        for (var id = 0; id < 20_000; id++)
        {
            Assert.Equal(DropReason.UnsolicitedFromUplink, Send(Packets.Fragment(unsolicited, 0, 1480, identification: (uint)id), Ingress.Uplink).Reason);
        }
        var rest = toWork[1..].Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.All(rest, r => Assert.True(r.Forwarded, $"work's later fragment: {r.Reason}"));
    }

    [Fact]
    public void a_fragmented_icmp_error_is_dropped_as_a_fragment_without_flow_on_any_worker()
    {
        var workPort = Open(Work4, Work, shard: 1);
        var quoted = Packets.Udp(Uplink4, Remote4, workPort, 53, payload: 1400);
        var error = Packets.IcmpError(Router4, Uplink4, IcmpV4Message.DestinationUnreachable, 3, quoted, quoteLength: 1000);

        var sent = Send(Packets.Fragments(error, 512, identification: 0x55)[0], Ingress.Uplink);

        Assert.Equal(DropReason.FragmentWithoutFlow, sent.Reason);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void workers_give_translated_datagrams_identifications_from_shares_of_their_own(int workers)
    {
        var shards = new FlowShards(workers, secret: 11);
        var seen = new Dictionary<ushort, int>();
        for (var w = 0; w < workers; w++)
        {
            // Counts started a third of the way round from each other, where a count shared between workers would meet.
            var lab = new EngineLab(["action=accept"], ["action=accept"], Options with { Shards = shards, Shard = w, Seed = ((ulong)(w * 21845) << 48) | 7 });
            for (ushort port = 5000, sent = 0; sent < 300; port++)
            {
                var datagram = Packets.Udp(Work4, Remote4, port, 53, payload: 3000);
                if (shards.Of(FlowKey.From(Packets.Parse(datagram))) != w)
                {
                    continue;
                }
                var first = lab.FromWork(Packets.Fragments(datagram, 1480, identification: port)[0]);
                Assert.True(first.Forwarded);
                var id = Ipv4Packet.Unchecked(first.Packet).Identification;
                Assert.True(seen.TryAdd(id, w), $"identification {id} left worker {w} and worker {seen.GetValueOrDefault(id)}");
                sent++;
            }
        }
    }

    [Fact]
    public void a_second_first_fragment_in_the_last_second_of_a_pass_neither_passes_nor_takes_the_rest()
    {
        SetNow(Start + 999);
        var workPort = Open(Work4, Work, shard: 0);
        var personalPort = Open(Personal4, Personal, shard: 1);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        var toPersonal = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 3000), 1480, identification: 0x4242);
        Assert.True(Send(toWork[0], Ingress.Uplink).Forwarded);
        SetNow(Start + 30_000);

        var second = Send(toPersonal[0], Ingress.Uplink);
        var rest = toWork[1..].Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.Equal(DropReason.BadFragment, second.Reason);
        Assert.All(rest, r => Assert.True(r.Forwarded && r.Outcome.Egress == Work, $"work's later fragment: {r.Reason}, to {r.Outcome.Egress}"));
    }

    [Theory]
    [InlineData(60_000L)]
    [InlineData(65_536_000L)]
    public void a_datagram_whose_tail_was_lost_does_not_hold_its_key_later(long later)
    {
        var workPort = Open(Work4, Work, shard: 1);
        var toWork = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, workPort, payload: 3000), 1480, identification: 0x4242);
        Assert.True(Send(toWork[0], Ingress.Uplink).Forwarded);
        SetNow(Start + later);
        var personalPort = Open(Personal4, Personal, shard: 0);

        var toPersonal = Packets.Fragments(Packets.Udp(Remote4, Uplink4, 53, personalPort, payload: 3000), 1480, identification: 0x4242)
            .Select(f => Send(f, Ingress.Uplink)).ToArray();

        Assert.All(toPersonal, s => Assert.True(s.Forwarded && s.Outcome.Egress == Personal, $"personal's fragment: {s.Reason}, to {s.Outcome.Egress}"));
    }

    private void SetNow(long nowMs)
    {
        foreach (var lab in _labs)
        {
            lab.Now = nowMs;
        }
    }

    /// <summary>Sends a client's datagram from a port whose flow falls in <paramref name="shard"/>; returns its translated port.</summary>
    private ushort Open(string client, int ingress, int shard)
    {
        for (ushort port = 5000; port < 6000; port++)
        {
            var packet = Packets.Udp(client, Remote4, port, 53, payload: 20);
            if (_shards.Of(FlowKey.From(Packets.Parse(packet))) == shard)
            {
                var sent = Send(packet, ingress);
                Assert.True(sent.Forwarded);
                return sent.Info.SourcePort;
            }
        }
        throw new InvalidOperationException($"no port of {client} in shard {shard}");
    }

    /// <summary>Routed, processed by the owner's engine, and the route forgotten as the worker forgets it.</summary>
    private Sent Send(byte[] packet, int ingress)
    {
        var info = Packets.Parse(packet);
        var owner = _routes.OwnerOf(_shards, packet, info, _labs[0].Now);
        var lab = _labs[owner];
        var sent = lab.Send(packet, ingress);
        var ended = info.FragmentOffset == 0 ? !sent.Forwarded && !lab.Engine.HoldsFragmentPass(info, lab.Now) : sent.Forwarded && !info.MoreFragments;
        if (info.IsFragment && ended)
        {
            _routes.Forget(info, owner);
        }
        return sent;
    }
}
