namespace Lethe.Domain.Tests;

public class RuleCanonicalFormTests
{
    [Theory]
    [InlineData("action=accept dst4=8.8.8.8 proto=udp dstports=53-53", "action=accept dst4=8.8.8.8/32 proto=udp dstports=53-53")]
    [InlineData("action=drop dst6=2a00:1450:4000::/37 proto=tcp", "action=drop dst6=2a00:1450:4000::/37 proto=tcp")]
    [InlineData("action=accept specialtarget=dns", "action=accept specialtarget=dns")]
    [InlineData("action=drop proto=tcp specialtarget=dns", "action=drop proto=tcp specialtarget=dns")]
    [InlineData("action=drop", "action=drop")]
    public void the_spec_example_rules_parse_to_their_canonical_form(string doc, string canonical) =>
        Assert.Equal(canonical, RuleText.Canonical(doc));

    [Theory]
    [InlineData("action=accept dst4=8.8.8.8 proto=udp dstports=53-53")]
    [InlineData("action=drop dst6=2a00:1450:4000::/37 proto=tcp")]
    [InlineData("action=accept specialtarget=dns")]
    [InlineData("action=drop proto=tcp specialtarget=dns")]
    [InlineData("action=drop")]
    public void the_spec_example_rules_round_trip(string doc)
    {
        var once = RuleText.Canonical(doc);

        Assert.Equal(once, RuleText.Canonical(once));
        Assert.Equal(RuleText.Parse(doc), RuleText.Parse(once));
    }

    [Fact]
    public void every_key_is_written_in_the_canonical_order_with_comment_last() =>
        Assert.Equal(
            "action=accept expire=1800000000 dst4=192.0.2.0/24 proto=udp specialtarget=dns dstports=53-53 comment=resolver on the lab net",
            RuleText.Canonical("dstports=53 specialtarget=dns proto=udp dst4=192.0.2.0/24 expire=1800000000 action=accept comment=resolver on the lab net"));

    [Fact]
    public void icmptype_is_written_after_proto() =>
        Assert.Equal("action=accept dst6=2001:db8::/32 proto=icmp icmptype=128",
            RuleText.Canonical("icmptype=128 action=accept proto=icmp dst6=2001:db8::/32"));

    [Fact]
    public void dsthost_is_written_where_the_destination_goes() =>
        Assert.Equal("action=accept expire=1800000000 dsthost=updates.example proto=tcp dstports=443-443",
            RuleText.Canonical("proto=tcp dstports=443 dsthost=updates.example expire=1800000000 action=accept"));

    [Theory]
    [InlineData("action=accept expire=1800000000 dst4=192.0.2.0/24 proto=udp specialtarget=dns dstports=53-53 comment=resolver on the lab net")]
    [InlineData("action=drop dsthost=tracker.example")]
    [InlineData("action=reject dst6=2001:db8::1/64 proto=icmp icmptype=128")]
    [InlineData("action=accept proto=tcp dstports=1-1024")]
    public void canonical_text_parses_back_to_itself(string canonical) =>
        Assert.Equal(canonical, RuleText.Canonical(canonical));
}
