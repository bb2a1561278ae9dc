namespace Lethe.Domain.Tests;

public class RuleSpecialTargetTests
{
    [Theory]
    [InlineData("action=accept specialtarget=dns", "action=accept specialtarget=dns")]
    [InlineData("action=accept proto=udp specialtarget=dns", "action=accept proto=udp specialtarget=dns")]
    [InlineData("action=accept specialtarget=dns proto=tcp dstports=53", "action=accept proto=tcp specialtarget=dns dstports=53-53")]
    public void specialtarget_dns_is_accepted_when_it_can_match(string text, string canonical) =>
        Assert.Equal(canonical, RuleText.Canonical(text));

    [Theory]
    [InlineData("action=drop proto=udp specialtarget=dns dstports=1-1024", "1-1024")]
    [InlineData("action=accept proto=tcp specialtarget=dns dstports=53-54", "53-54")]
    [InlineData("action=accept proto=udp specialtarget=dns dstports=0-65535", "0-65535")]
    public void specialtarget_dns_with_ports_beyond_53_is_refused_as_qubes_ignores_it(string text, string ports)
    {
        // Qubes' agent (qubesagent/firewall.py) skips a dns rule whose dstports are not 53: there it matches nothing.
        var error = RuleText.ErrorFor(text);

        Assert.Equal("specialtarget", error.Key);
        Assert.Contains($"takes dstports=53 or none, not dstports={ports}", error.Message);
    }

    [Fact]
    public void specialtarget_dns_with_proto_icmp_is_refused_because_it_could_never_match()
    {
        var error = RuleText.ErrorFor("action=accept proto=icmp specialtarget=dns");

        Assert.Equal("specialtarget", error.Key);
        Assert.Contains("icmp", error.Message);
    }

    [Theory]
    [InlineData("80")]
    [InlineData("54-1024")]
    [InlineData("1-52")]
    public void specialtarget_dns_with_dstports_that_exclude_53_is_refused(string ports)
    {
        var error = RuleText.ErrorFor($"action=accept proto=udp specialtarget=dns dstports={ports}");

        Assert.Equal("specialtarget", error.Key);
        Assert.Contains("53", error.Message);
    }

    [Theory]
    [InlineData("ntp")]
    [InlineData("DNS")]
    [InlineData("")]
    public void a_specialtarget_other_than_dns_is_refused(string target) =>
        Assert.Equal("specialtarget", RuleText.ErrorFor($"action=accept specialtarget={target}").Key);
}
