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
        table.Set(new FragmentKey(A, B, 17, 1), 5, nowMs: 100);

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
        table.Set(new FragmentKey(A, B, 17, 1), 5, nowMs: 0);
        table.Set(new FragmentKey(A, B, 17, 1), 6, nowMs: 900);

        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 1), 1_500, out var value));
        Assert.Equal(6, value);
    }

    [Fact]
    public void a_flood_takes_no_more_room_and_the_newest_entries_stay()
    {
        var table = new FragmentTable<int>(64, lifetimeMs: 30_000, seed: 7);
        for (var id = 0u; id < 10_000; id++)
        {
            table.Set(new FragmentKey(A, B, 17, id), (int)id, nowMs: id);
        }

        Assert.Equal(64, table.Slots);
        Assert.True(table.TryGet(new FragmentKey(A, B, 17, 9_999), 10_000, out var newest));
        Assert.Equal(9_999, newest);
        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 0), 10_000, out _));
    }

    [Fact]
    public void clear_forgets_everything()
    {
        var table = new FragmentTable<int>(16, lifetimeMs: 1_000, seed: 7);
        table.Set(new FragmentKey(A, B, 17, 1), 5, nowMs: 0);

        table.Clear();

        Assert.False(table.TryGet(new FragmentKey(A, B, 17, 1), 1, out _));
    }
}
