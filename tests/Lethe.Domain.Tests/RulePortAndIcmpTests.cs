namespace Lethe.Domain.Tests;

public class RulePortAndIcmpTests
{
    [Theory]
    [InlineData("tcp", "80", "80-80")]
    [InlineData("udp", "53", "53-53")]
    [InlineData("tcp", "1-1024", "1-1024")]
    [InlineData("tcp", "0", "0-0")]
    [InlineData("tcp", "0-65535", "0-65535")]
    [InlineData("udp", "65535", "65535-65535")]
    [InlineData("tcp", "443-443", "443-443")]
    public void dstports_is_written_back_as_a_range(string proto, string ports, string range) =>
        Assert.Equal($"action=accept proto={proto} dstports={range}", RuleText.Canonical($"action=accept proto={proto} dstports={ports}"));

    [Theory]
    [InlineData("65536")]
    [InlineData("1-65536")]
    [InlineData("443-80")]
    [InlineData("-80")]
    [InlineData("80-")]
    [InlineData("1-2-3")]
    [InlineData("http")]
    [InlineData("")]
    [InlineData("+80")]
    [InlineData("80:90")]
    [InlineData("99999999999")]
    public void an_invalid_dstports_is_refused_naming_dstports(string ports)
    {
        var error = RuleText.ErrorFor($"action=accept proto=tcp dstports={ports}");

        Assert.Equal("dstports", error.Key);
        Assert.Contains(ports, error.Message);
    }

    [Theory]
    [InlineData("action=accept dstports=80")]
    [InlineData("action=accept proto=icmp dstports=80")]
    [InlineData("action=accept dst4=192.0.2.1 dstports=80-90")]
    public void dstports_is_refused_without_proto_tcp_or_udp(string text)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal("dstports", error.Key);
        Assert.Contains("proto=tcp", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("8")]
    [InlineData("128")]
    [InlineData("255")]
    public void icmptype_from_0_to_255_is_accepted_with_proto_icmp(string type) =>
        Assert.Equal($"action=accept proto=icmp icmptype={type}", RuleText.Canonical($"action=accept proto=icmp icmptype={type}"));

    [Theory]
    [InlineData("256")]
    [InlineData("1000")]
    [InlineData("-1")]
    [InlineData("echo")]
    [InlineData("")]
    [InlineData("0008")]
    public void an_icmptype_outside_0_to_255_is_refused_naming_icmptype(string type) =>
        Assert.Equal("icmptype", RuleText.ErrorFor($"action=accept proto=icmp icmptype={type}").Key);

    [Theory]
    [InlineData("action=accept icmptype=8")]
    [InlineData("action=accept proto=tcp icmptype=8")]
    [InlineData("action=accept proto=udp icmptype=8")]
    public void icmptype_is_refused_without_proto_icmp(string text)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal("icmptype", error.Key);
        Assert.Contains("proto=icmp", error.Message);
    }

    [Theory]
    [InlineData("sctp")]
    [InlineData("icmpv6")]
    [InlineData("6")]
    [InlineData("")]
    public void a_protocol_other_than_tcp_udp_or_icmp_is_refused_naming_proto(string proto) =>
        Assert.Equal("proto", RuleText.ErrorFor($"action=accept proto={proto}").Key);
}
