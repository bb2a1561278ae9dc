using Lethe.PacketPath.Tracking;
using Lethe.PacketPath.Wire;

namespace Lethe.PacketPath.Tests.Tracking;

public class FlowKeyTests
{
    private static readonly FlowKey Web = new(NetAddress.Parse("10.137.0.5"), NetAddress.Parse("198.51.100.7"), 6, 40000, 443);

    [Fact]
    public void equal_keys_hash_alike_under_every_seed()
    {
        var copy = Web with { };
        Assert.Equal(Web, copy);
        Assert.Equal(Web.Hash(0), copy.Hash(0));
        Assert.Equal(Web.Hash(12345), copy.Hash(12345));
        Assert.Equal(Web.GetHashCode(), copy.GetHashCode());
    }

    [Fact]
    public void an_ipv4_address_differs_from_the_ipv6_address_with_the_same_bits()
    {
        var mapped = Web with
        {
            Source = new NetAddress(Web.Source.Bits, true),
            Destination = new NetAddress(Web.Destination.Bits, true),
        };
        Assert.NotEqual(Web, mapped);
        Assert.NotEqual(Web.Hash(0), mapped.Hash(0));
    }

    [Fact]
    public void reversing_swaps_addresses_and_ports_and_twice_is_the_identity()
    {
        var back = Web.Reversed();
        Assert.Equal(new FlowKey(Web.Destination, Web.Source, 6, 443, 40000), back);
        Assert.Equal(Web, back.Reversed());
        Assert.NotEqual(Web.Hash(1), back.Hash(1));
    }

    [Fact]
    public void every_field_changes_the_hash()
    {
        var variants = new[]
        {
            Web with { SourcePort = 40001 },
            Web with { DestinationPort = 444 },
            Web with { Protocol = 17 },
            Web with { Source = NetAddress.Parse("10.137.0.6") },
            Web with { Destination = NetAddress.Parse("198.51.100.8") },
        };
        Assert.All(variants, variant => Assert.NotEqual(Web.Hash(3), variant.Hash(3)));
        Assert.NotEqual(Web.Hash(3), Web.Hash(4));
    }

    [Fact]
    public void a_key_is_read_from_packet_info_with_the_query_id_in_both_ports()
    {
        var info = new PacketInfo
        {
            Version = 4,
            Source = Web.Source,
            Destination = Web.Destination,
            Protocol = 1,
            SourcePort = 77,
            DestinationPort = 77,
        };
        Assert.Equal(new FlowKey(Web.Source, Web.Destination, 1, 77, 77), FlowKey.From(in info));
    }
}
