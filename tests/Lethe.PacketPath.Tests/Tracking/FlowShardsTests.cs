using CsCheck;
using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

public class FlowShardsTests
{
    private static readonly Gen<NetAddress> Address = Gen.OneOf(
        Gen.UInt.Select(v => new NetAddress(v, false)),
        Gen.UInt128.Select(v => new NetAddress(v, true)));

    private static readonly Gen<FlowKey> Key = Gen.Select(Address, Address, Gen.Int[0, 3].Select(i => i switch { 0 => (byte)6, 1 => (byte)17, 2 => (byte)1, _ => (byte)58 }), Gen.UShort, Gen.UShort)
        .Select((s, d, p, sp, dp) => new FlowKey(s, d, p, sp, dp));

    [Fact]
    public void both_directions_of_a_flow_belong_to_one_shard()
    {
        Gen.Select(Key, Gen.Int[2, 16], Gen.ULong).Sample((key, count, secret) =>
        {
            var shards = new FlowShards(count, secret);
            var shard = shards.Of(key);
            Assert.InRange(shard, 0, count - 1);
            Assert.Equal(shard, shards.Of(key.Reversed()));
        }, iter: 20_000);
    }

    [Fact]
    public void flows_spread_over_every_shard()
    {
        var shards = new FlowShards(4, 99);
        var counts = new int[4];
        for (ushort port = 1024; port < 1024 + 40_000; port++)
        {
            counts[shards.Of(new FlowKey(NetAddress.Parse("192.0.2.10"), NetAddress.Parse("198.51.100.1"), 6, port, 443))]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 9_000, 11_000));
    }

    [Fact]
    public void flows_without_ports_and_a_single_shard_all_go_to_shard_zero()
    {
        var gre = new FlowKey(NetAddress.Parse("192.0.2.10"), NetAddress.Parse("198.51.100.1"), 47, 0, 0);

        Assert.Equal(0, new FlowShards(8, 5).Of(gre));
        Assert.Equal(0, FlowShards.Single.Of(new FlowKey(NetAddress.Parse("192.0.2.10"), NetAddress.Parse("198.51.100.1"), 6, 1, 2)));
    }
}
