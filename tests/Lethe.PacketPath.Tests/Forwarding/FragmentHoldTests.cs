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
        var hold = new FragmentHold(Headroom + 1500);
        var fragment = Packets.Fragments(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480)[2];
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);

        Assert.True(hold.TryHold(frame, device: 1, Packets.Parse(fragment), routed: true, nowMs: 1_000));

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
    public void one_device_holds_no_more_than_its_share_and_another_still_finds_room()
    {
        var hold = new FragmentHold(Headroom + 1500);
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);

        var work = Enumerable.Range(0, FragmentHold.Slots)
            .Count(id => Hold(hold, Packets.Fragment(datagram, 1480, 1480, identification: (uint)id), device: 1));
        var personal = Enumerable.Range(0, FragmentHold.Slots)
            .Count(id => Hold(hold, Packets.Fragment(Packets.Udp(Personal4, Remote4, 5000, 53, payload: 3000), 1480, 1480, identification: (uint)id), device: 2));

        Assert.Equal(FragmentHold.PerDevice, work);
        Assert.Equal(FragmentHold.Slots - FragmentHold.PerDevice, personal);
        Assert.False(hold.HasRoom(device: 3, 100));
    }

    [Fact]
    public void a_fragment_larger_than_a_slot_is_not_held()
    {
        var hold = new FragmentHold(Headroom + 1280);
        var fragment = Packets.Fragment(Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000), 1480, 1480);

        Assert.False(Hold(hold, fragment, device: 1));
        Assert.Equal(0, hold.Count);
    }

    [Fact]
    public void a_fragment_waiting_for_its_route_counts_as_unrouted_until_routed_or_freed()
    {
        var hold = new FragmentHold(Headroom + 1500);
        var datagram = Packets.Udp(Work4, Remote4, 5000, 53, payload: 3000);
        var fragment = Packets.Fragment(datagram, 1480, 1480);
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);
        hold.TryHold(frame, 1, Packets.Parse(fragment), routed: false, nowMs: 0);
        hold.TryHold(frame, 1, Packets.Parse(fragment), routed: false, nowMs: 0);
        Assert.Equal(2, hold.Unrouted);

        hold.Route(0);
        hold.Free(1);

        Assert.Equal(0, hold.Unrouted);
        Assert.True(hold.IsRouted(0));
        Assert.Equal(1, hold.Count);
    }

    private static bool Hold(FragmentHold hold, byte[] fragment, int device)
    {
        var frame = new byte[Headroom + fragment.Length];
        fragment.CopyTo(frame, Headroom);
        return hold.TryHold(frame, device, Packets.Parse(fragment), routed: true, nowMs: 0);
    }
}
