using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tracking;

namespace Lethe.PacketPath.Tests.Forwarding;

public class FragmentRoutesTests
{
    private static readonly FlowShards Shards = new(8, secret: 11);

    [Fact]
    public void later_fragments_go_to_the_worker_their_first_fragment_went_to()
    {
        var routes = new FragmentRoutes(seed: 3);
        // Source ports until one whose flow is not in shard 0, where an unrouted later fragment would land anyway.
        for (ushort port = 5000; port < 5100; port++)
        {
            var fragments = Packets.Fragments(Packets.Udp("10.137.0.5", "192.0.2.10", port, 53, payload: 3000), 1480, identification: port);
            var flowOwner = Shards.Of(FlowKey.From(Packets.Parse(fragments[0])));
            if (flowOwner == 0)
            {
                continue;
            }

            var owners = fragments.Select(f => routes.OwnerOf(Shards, f, Packets.Parse(f), nowMs: 1)).ToArray();

            Assert.All(owners, owner => Assert.Equal(flowOwner, owner));
            return;
        }
        Assert.Fail("no flow outside shard 0 in 100 ports");
    }

    [Fact]
    public void interleaved_datagrams_of_flows_on_different_workers_each_follow_their_own_first_fragment()
    {
        var routes = new FragmentRoutes(seed: 3);
        var datagrams = Enumerable.Range(0, 16)
            .Select(i => Packets.Fragments(Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(6000 + i), 53, payload: 3000), 1480, identification: (uint)(100 + i)))
            .ToArray();
        var owners = datagrams.Select(d => routes.OwnerOf(Shards, d[0], Packets.Parse(d[0]), nowMs: 1)).ToArray();
        Assert.True(owners.Distinct().Count() > 1, "all sixteen flows fell on one shard");

        for (var piece = 1; piece < datagrams[0].Length; piece++)
        {
            for (var i = 0; i < datagrams.Length; i++)
            {
                var fragment = datagrams[i][piece];
                Assert.Equal(owners[i], routes.OwnerOf(Shards, fragment, Packets.Parse(fragment), nowMs: 1));
            }
        }
    }

    [Fact]
    public void a_note_written_by_a_worker_whose_clock_read_a_little_later_is_live()
    {
        var shards = new FlowShards(2, secret: 11);
        var routes = new FragmentRoutes(seed: 5);
        var firsts = Enumerable.Range(20000, 200)
            .Select(p => Packets.Fragments(Packets.Udp("192.0.2.10", "198.51.100.1", 53, (ushort)p, payload: 3000), 1480, identification: 0x4242)[0]).ToArray();
        var one = firsts.First(f => shards.Of(FlowKey.From(Packets.Parse(f))) == 1);
        var zero = firsts.First(f => shards.Of(FlowKey.From(Packets.Parse(f))) == 0);

        Assert.Equal(1, routes.OwnerOf(shards, one, Packets.Parse(one), nowMs: 10_000));

        Assert.Equal(1, routes.OwnerOf(shards, zero, Packets.Parse(zero), nowMs: 9_999));
    }

    [Fact]
    public void a_later_fragment_does_not_follow_the_note_of_a_datagram_that_ended_long_ago()
    {
        var shards = new FlowShards(2, secret: 11);
        var routes = new FragmentRoutes(seed: 5);
        // Two datagrams with the same addresses and identification (the sender's 16-bit count came round), of flows on different workers.
        var datagrams = Enumerable.Range(20000, 200)
            .Select(p => Packets.Fragments(Packets.Udp("192.0.2.10", "198.51.100.1", 53, (ushort)p, payload: 3000), 1480, identification: 0x4242)).ToArray();
        var old = datagrams.First(d => shards.Of(FlowKey.From(Packets.Parse(d[0]))) == 1);
        var next = datagrams.First(d => shards.Of(FlowKey.From(Packets.Parse(d[0]))) == 0);
        // The old datagram's first fragment went to worker 1; its last fragment was lost (or a swap cut it), so nobody forgot the note.
        Assert.Equal(1, routes.OwnerOf(shards, old[0], Packets.Parse(old[0]), nowMs: 1_000));

        // Ten minutes later the new datagram's second fragment is read before its first: it must wait for that one's note.
        var routed = routes.TryOwnerOf(shards, next[1], Packets.Parse(next[1]), nowMs: 601_000, out var owner);

        Assert.False(routed, $"routed to worker {owner} by a note 600 s old, whose datagram's pass ended 570 s ago");
    }

    [Fact]
    public void a_later_fragment_follows_its_first_to_the_end_of_its_datagrams_pass()
    {
        var shards = new FlowShards(2, secret: 11);
        var routes = new FragmentRoutes(seed: 5);
        var fragments = Enumerable.Range(20000, 200)
            .Select(p => Packets.Fragments(Packets.Udp("192.0.2.10", "198.51.100.1", 53, (ushort)p, payload: 3000), 1480, identification: 0x4242))
            .First(d => shards.Of(FlowKey.From(Packets.Parse(d[0]))) == 1);
        Assert.Equal(1, routes.OwnerOf(shards, fragments[0], Packets.Parse(fragments[0]), nowMs: 1_000));

        // A pass lasts 30 s from its first fragment: a moment after it, and at its last millisecond.
        var soon = routes.TryOwnerOf(shards, fragments[1], Packets.Parse(fragments[1]), nowMs: 1_001, out var soonOwner);
        var late = routes.TryOwnerOf(shards, fragments[2], Packets.Parse(fragments[2]), nowMs: 30_999, out var lateOwner);

        Assert.Equal((true, 1), (soon, soonOwner));
        Assert.Equal((true, 1), (late, lateOwner));
    }

    [Fact]
    public void a_client_flooding_first_fragments_does_not_push_out_the_routes_of_another_clients_datagrams()
    {
        const int work = 0, personal = 1;
        var shards = new FlowShards(2, secret: 11);
        var routes = new FragmentRoutes(seed: 5);
        // personal's datagrams whose rest never comes (each passes, so its note stays 30 s): two for every slot of the table.
        Flood(routes, shards, personal, first: 0, count: 32_768, nowMs: 1_000);
        var datagrams = Enumerable.Range(0, 50)
            .Select(i => Packets.Fragments(Packets.Udp("10.137.0.5", "192.0.2.10", (ushort)(6000 + i), 53, payload: 3000), 1480, identification: (uint)(100 + i)))
            .ToArray();
        var owners = datagrams.Select(d => routes.OwnerOf(shards, d[0], Packets.Parse(d[0]), nowMs: 1_000, share: work)).ToArray();

        // personal goes on while work's datagrams pass, within the same second.
        Flood(routes, shards, personal, first: 32_768, count: 8_192, nowMs: 1_000);

        var lost = Enumerable.Range(0, datagrams.Length)
            .Count(i => !routes.TryOwnerOf(shards, datagrams[i][1], Packets.Parse(datagrams[i][1]), nowMs: 1_000, out var owner, share: work) || owner != owners[i]);
        Assert.Equal(0, lost);
    }

    /// <summary>First fragments of <paramref name="count"/> datagrams from personal (10.137.0.6), each of another key, read from device <paramref name="share"/>.</summary>
    private static void Flood(FragmentRoutes routes, FlowShards shards, int share, int first, int count, long nowMs)
    {
        for (var n = first; n < first + count; n++)
        {
            var fragment = Packets.Fragments(Packets.Udp("10.137.0.6", $"198.18.{n >> 16}.{(n >> 8) & 0xFF}", 4000, 53, payload: 1600), 1480,
                identification: (uint)(n & 0xFFFF))[0];
            routes.TryOwnerOf(shards, fragment, Packets.Parse(fragment), nowMs, out _, share);
        }
    }

    [Fact]
    public void a_later_fragment_whose_first_was_not_read_goes_to_shard_zero()
    {
        var routes = new FragmentRoutes(seed: 3);
        var later = Packets.Fragments(Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 3000), 1480)[1];

        Assert.Equal(0, routes.OwnerOf(Shards, later, Packets.Parse(later), nowMs: 1));
    }

    [Fact]
    public void a_whole_packet_goes_to_its_flows_shard()
    {
        var routes = new FragmentRoutes(seed: 3);
        var packet = Packets.Udp("10.137.0.5", "192.0.2.10", 5000, 53, payload: 30);

        Assert.Equal(Shards.Of(FlowKey.From(Packets.Parse(packet))), routes.OwnerOf(Shards, packet, Packets.Parse(packet), nowMs: 1));
    }
}
