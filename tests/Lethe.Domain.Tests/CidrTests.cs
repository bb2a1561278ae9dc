using System.Net;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Tests;

public class CidrTests
{
    private static Cidr Of(string text)
    {
        var slash = text.IndexOf('/');
        return new Cidr(IPAddress.Parse(text[..slash]), int.Parse(text[(slash + 1)..]));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "9.255.255.255", false)]
    [InlineData("192.0.2.128/25", "192.0.2.128", true)]
    [InlineData("192.0.2.128/25", "192.0.2.127", false)]
    [InlineData("192.0.2.1/32", "192.0.2.1", true)]
    [InlineData("192.0.2.1/32", "192.0.2.2", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("2a00:1450:4000::/37", "2a00:1450:47ff:ffff::1", true)]
    [InlineData("2a00:1450:4000::/37", "2a00:1450:4800::1", false)]
    [InlineData("2001:db8::1/128", "2001:db8::1", true)]
    [InlineData("2001:db8::1/128", "2001:db8::2", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    public void contains_the_addresses_under_its_prefix(string cidr, string address, bool contained) =>
        Assert.Equal(contained, Of(cidr).Contains(IPAddress.Parse(address)));

    [Theory]
    [InlineData("10.1.2.3/8", "10.200.0.1")]
    [InlineData("192.0.2.77/24", "192.0.2.1")]
    [InlineData("2001:db8::1/32", "2001:db8:abcd::9")]
    public void host_bits_under_the_prefix_are_matched_as_the_network(string cidr, string address)
    {
        Assert.True(Of(cidr).Contains(IPAddress.Parse(address)));
        Assert.Equal(cidr, Of(cidr).ToString());
    }

    [Theory]
    [InlineData("0.0.0.0/0", "::")]
    [InlineData("0.0.0.0/0", "::ffff:10.0.0.1")]
    [InlineData("::/0", "10.0.0.1")]
    public void never_contains_an_address_of_the_other_family(string cidr, string address) =>
        Assert.False(Of(cidr).Contains(IPAddress.Parse(address)));

    [Theory]
    [InlineData("10.0.0.0/8", "10.1.0.0/16", true)]
    [InlineData("10.1.0.0/16", "10.0.0.0/8", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0/8", false)]
    [InlineData("10.0.0.0/8", "::/0", false)]
    [InlineData("2001:db8::/32", "2001:db8:1::/48", true)]
    public void overlaps_when_one_contains_the_other(string a, string b, bool overlap) =>
        Assert.Equal(overlap, Of(a).Overlaps(Of(b)));
}
