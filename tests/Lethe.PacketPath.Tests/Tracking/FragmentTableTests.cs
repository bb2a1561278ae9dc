using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

public class FragmentTableTests
{
    private static readonly NetAddress A = NetAddress.Parse("10.137.0.5");
    private static readonly NetAddress B = NetAddress.Parse("192.0.2.10");

    [Fact]
    public void an_entry_is_found_by_its_whole_key_until_its_lifetime_ends()
    {
        var table = new FragmentTable<int>(16, lifetimeMs: 1_000, seed: 7);
        table.Set(new FragmentKey(A, B, 17, 1), 5, owner: 0, nowMs: 100);

        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1), 1_099, out var value));
        Assert.Equal(5, value);
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 2), 500, out _));
        Assert.False(table.TryGet(new FragmentKey(B, A, 17, 1), 500, out _));
        Assert.False(table.TryGet(new FragmentKey(A, B, 1, 1), 500, out _));
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 1), 1_100, out _));
    }

    [Fact]
    public void setting_a_key_again_replaces_its_value_and_lifetime()
    {
        var table = new FragmentTable<int>(16, lifetimeMs: 1_000, seed: 7);
        table.Set(new FragmentKey(A, B, 17, 1), 5, owner: 0, nowMs: 0);
        table.Set(new FragmentKey(A, B, 17, 1), 6, owner: 0, nowMs: 900);

        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1), 1_500, out var value));
        Assert.Equal(6, value);
    }

    [Fact]
    public void a_flood_takes_no_more_room_and_the_newest_entries_stay()
    {
        var table = new FragmentTable<int>(64, lifetimeMs: 30_000, seed: 7);
        for (var id = 0u; id < 10_000; id++)
        {
            table.Set(new FragmentKey(A, B, 17, id), (int)id, owner: 0, nowMs: id);
        }

        Assert.Equal(64, table.Slots);
        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 9_999), 10_000, out var newest));
        Assert.Equal(9_999, newest);
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 0), 10_000, out _));
    }

    [Fact]
    public void a_full_set_gives_up_a_slot_of_the_owner_holding_most_of_it_the_new_entrys_own_when_tied()
    {
        var table = new FragmentTable<int>(4, lifetimeMs: 30_000, seed: 7);
        table.Set(new FragmentKey(A, B, 17, 1), 1, owner: 1, nowMs: 0);
        for (var id = 2u; id < 1_000; id++)
        {
            table.Set(new FragmentKey(A, B, 17, id), (int)id, owner: 2, nowMs: id);
        }

        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1), 1_000, out _));
        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 999), 1_000, out _));
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 996), 1_000, out _));

        table.Set(new FragmentKey(A, B, 17, 1_000), 1_000, owner: 3, nowMs: 1_000);
        table.Set(new FragmentKey(A, B, 17, 1_001), 1_001, owner: 3, nowMs: 1_001);

        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1), 1_001, out _));
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 997), 1_001, out _));
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 998), 1_001, out _));
        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 999), 1_001, out _));
        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1_001), 1_001, out _));
    }

    [Fact]
    public void clear_forgets_everything()
    {
        var table = new FragmentTable<int>(16, lifetimeMs: 1_000, seed: 7);
        table.Set(new FragmentKey(A, B, 17, 1), 5, owner: 0, nowMs: 0);

        table.Clear();

        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 1), 1, out _));
    }
}
