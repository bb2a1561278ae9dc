using Lethe.PacketPath.Forwarding;
using Lethe.PacketPath.Tests.Engine;
using Lethe.PacketPath.Tracking;
using static Lethe.PacketPath.Tests.Engine.EngineLab;

namespace Lethe.PacketPath.Tests.Forwarding;

public class FragmentHoldTests
{
    private const int Headroom = 10;

    [Fact]
    public void a_fragment_is_kept_whole_until_its_hold_time_runs_out()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 3);
        var fragment = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[2];
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);

        Assert.True(hold.TryHold(frame, device: 1, share: 1, Packets.Parse(fragment), routed: true, nowMs: 1_000, out _));

        var slot = Enumerable.Range(0, FragmentHold.Slots).Single(hold.IsHeld);
        Assert.Equal(frame, hold.Frame(slot).ToArray());
        Assert.True(hold.Holds(slot, FragmentKey.From(Packets.Parse(fragment))));
        Assert.False(hold.IsExpired(slot, 1_000 + FragmentHold.HoldMs - 1));
        Assert.True(hold.IsExpired(slot, 1_000 + FragmentHold.HoldMs));
        Assert.Equal(1_000 + FragmentHold.HoldMs, hold.NextExpiryMs);
        hold.Free(slot);
        Assert.Equal(0, hold.Count);
    }

    [Fact]
    public void a_worker_handing_a_held_fragment_off_holds_another_only_in_a_free_slot()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 3);
        var fragment = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[2];
        var frame = new byte[Headroom + fragment.Length];
        var info = Packets.Parse(fragment);
        for (var n = 0; n < FragmentHold.Slots - 1; n++)
        {
            Assert.True(hold.TryHold(frame, 1, 1, info, routed: false, nowMs: n, out _));
        }

        Assert.True(hold.TryHold(frame, 2, 2, info, routed: true, nowMs: 100, out var displaced, displace: false));
        Assert.False(displaced);
        Assert.False(hold.TryHold(frame, 2, 2, info, routed: true, nowMs: 101, out displaced, displace: false));
        Assert.False(displaced);
        Assert.Equal(FragmentHold.Slots - 1, hold.HeldFor(1));
        Assert.Equal(1, hold.HeldFor(2));
    }

    [Fact]
    public void a_fragment_handed_over_keeps_the_deadline_it_was_first_held_with()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 3);
        var fragment = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[2];
        var frame = new byte[Headroom + fragment.Length];

        Assert.True(hold.TryHold(frame, device: 1, share: 1, Packets.Parse(fragment), routed: true, nowMs: 1_900, out _, expiresAtMs: 2_000));

        Assert.Equal(2_000, hold.NextExpiryMs);
        Assert.Equal(2_000, hold.ExpiresAt(Enumerable.Range(0, FragmentHold.Slots).Single(hold.IsHeld)));
    }

    [Fact]
    public void a_share_that_fills_the_hold_gives_way_to_another_and_then_loses_its_own_oldest()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 3);
        var work = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);
        var personal = Packets.Udp(Personal4, Remote4, 5000, 53, payload: 3000);
        for (var id = 0; id < FragmentHold.Slots; id++)
        {
            Assert.False(Hold(hold, Packets.Fragment(work, 1480, 1480, identification: (uint)id), share: 1, nowMs: id));
        }

        Assert.True(Hold(hold, Packets.Fragment(personal, 1480, 1480, identification: 7), share: 2, nowMs: 100));
        Assert.True(Hold(hold, Packets.Fragment(personal, 2960, 48, identification: 7), share: 2, nowMs: 101));
        Assert.False(HoldsId(hold, work, 0));
        Assert.True(HoldsId(hold, work, 2));
        for (var id = 100; id < 100 + FragmentHold.Slots; id++)
        {
            Assert.True(Hold(hold, Packets.Fragment(work, 1480, 1480, identification: (uint)id), share: 1, nowMs: 200 + id));
        }

        Assert.Equal(FragmentHold.Slots - 2, hold.HeldFor(1));
        Assert.Equal(2, hold.HeldFor(2));
        Assert.True(HoldsId(hold, personal, 7));
        Assert.True(HoldsId(hold, work, 100 + FragmentHold.Slots - 1));
    }

    [Fact]
    public void a_share_holding_fewer_keeps_its_fragments_when_another_holds_as_many()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 2);
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);
        for (var id = 0; id < FragmentHold.Slots; id++)
        {
            Hold(hold, Packets.Fragment(datagram, 1480, 1480, identification: (uint)id), share: id % 2, nowMs: id);
        }

        // Tied: the newcomer's own share gives way, its oldest (identification 0) first.
        Assert.True(Hold(hold, Packets.Fragment(datagram, 1480, 1480, identification: 1000), share: 0, nowMs: 1000));

        Assert.False(HoldsId(hold, datagram, 0));
        Assert.True(HoldsId(hold, datagram, 1));
        Assert.Equal(FragmentHold.Slots / 2, hold.HeldFor(0));
    }

    [Fact]
    public void a_fragment_larger_than_a_slot_is_not_held()
    {
        var hold = new FragmentHold(Headroom + 1280, shares: 3);
        var fragment = Packets.Fragment(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480, 1480);

        Assert.False(hold.Fits(Headroom + fragment.Length));
        Assert.False(hold.TryHold(new byte[Headroom + fragment.Length], device: 1, share: 1, Packets.Parse(fragment), routed: true, nowMs: 0, out _));
        Assert.Equal(0, hold.Count);
    }

    [Fact]
    public void a_fragment_waiting_for_its_route_counts_as_unrouted_until_routed_or_freed()
    {
        var hold = new FragmentHold(Headroom + 1500, shares: 3);
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);
        var fragment = Packets.Fragment(datagram, 1480, 1480);
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);
        hold.TryHold(frame, 1, 1, Packets.Parse(fragment), routed: false, nowMs: 0, out _);
        hold.TryHold(frame, 1, 1, Packets.Parse(fragment), routed: false, nowMs: 0, out _);
        Assert.Equal(2, hold.Unrouted);

        hold.Route(0);
        hold.Free(1);

        Assert.Equal(0, hold.Unrouted);
        Assert.True(hold.IsRouted(0));
        Assert.Equal(1, hold.Count);
    }

    /// <returns>Whether it took the place of another.</returns>
    private static bool Hold(FragmentHold hold, byte[] fragment, int share, long nowMs = 0)
    {
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);
        Assert.True(hold.TryHold(frame, device: share, share, Packets.Parse(fragment), routed: true, nowMs, out var displaced));
        return displaced;
    }

    private static bool HoldsId(FragmentHold hold, byte[] datagram, uint identification)
    {
        var key = FragmentKey.From(Packets.Parse(Packets.Fragment(datagram, 1480, 8, identification)));
        return Enumerable.Range(0, FragmentHold.Slots).Any(slot => hold.Holds(slot, key));
    }
}
