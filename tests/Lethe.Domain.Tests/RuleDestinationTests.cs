namespace Lethe.Domain.Tests;

public class RuleDestinationTests
{
    [Theory]
    [InlineData("dst4=192.0.2.1", "dst4=192.0.2.1/32")]
    [InlineData("dst4=192.0.2.0/24", "dst4=192.0.2.0/24")]
    [InlineData("dst4=0.0.0.0/0", "dst4=0.0.0.0/0")]
    [InlineData("dst6=2001:db8::1", "dst6=2001:db8::1/128")]
    [InlineData("dst6=2000::/3", "dst6=2000::/3")]
    [InlineData("dst6=::/0", "dst6=::/0")]
    public void a_missing_prefix_becomes_a_single_host(string given, string canonical) =>
        Assert.Equal("action=accept " + canonical, RuleText.Canonical("action=accept " + given));

    /// <summary>Qubes keeps an IPv6 address as typed; Lethe writes the same address in its short lowercase form (README).</summary>
    [Theory]
    [InlineData("dst6=2001:DB8:0:0::1", "dst6=2001:db8::1/128")]
    [InlineData("dst6=2001:0db8:0000:0000::1/64", "dst6=2001:db8::1/64")]
    [InlineData("dsthost=FD00::/8", "dst6=fd00::/8")]
    public void an_ipv6_address_is_written_in_its_short_lowercase_form(string given, string canonical) =>
        Assert.Equal("action=accept " + canonical, RuleText.Canonical("action=accept " + given));

    [Theory]
    [InlineData("dst4=192.0.2.77/24")]
    [InlineData("dst4=10.1.2.3/8")]
    [InlineData("dst6=2001:db8::1/32")]
    public void host_bits_under_the_prefix_are_kept_as_written(string destination) =>
        Assert.Equal("action=accept " + destination, RuleText.Canonical("action=accept " + destination));

    [Theory]
    [InlineData("dst4=10.0.0/8")]
    [InlineData("dst4=10/8")]
    [InlineData("dst4=10.0.0.0.0")]
    [InlineData("dst4=10.0.0")]
    [InlineData("dst4=256.0.0.1")]
    [InlineData("dst4=10.0.0.-1")]
    [InlineData("dst4=10..0.1")]
    [InlineData("dst4=2001:db8::1")]
    [InlineData("dst4=")]
    [InlineData("dst4=192.0.2.0/33")]
    [InlineData("dst4=010.0.0.1")]
    [InlineData("dst4=192.0.2.0/")]
    [InlineData("dst4=192.0.2.0/-1")]
    [InlineData("dst4=192.0.2.0/x")]
    public void an_invalid_dst4_is_refused_naming_dst4(string destination) =>
        Assert.Equal("dst4", RuleText.ErrorFor("action=accept " + destination).Key);

    /// <summary>
    /// "Not an IPv4 address with four dotted parts" denies what the reader sees in 10.0.0.256 or 010.0.0.1, which
    /// have four: the refusal says which part is wrong and how (a leading zero is octal to Qubes, which reads
    /// dst4=010.0.0.1 as a name that getaddrinfo turns into 8.0.0.1).
    /// </summary>
    [Theory]
    [InlineData("dst4=10.0.0.256", "dst4", "'256' is above 255")]
    [InlineData("dst4=192.168.1.1000/24", "dst4", "'1000' is above 255")]
    [InlineData("dst4=010.0.0.1", "dst4", "'010' has a leading zero")]
    [InlineData("dst4=10.0.x.1", "dst4", "'x' is not a decimal number")]
    [InlineData("dst4=10..0.1", "dst4", "a part is empty")]
    [InlineData("dsthost=10.0.0.256", "dsthost", "'256' is above 255")]
    [InlineData("dsthost=10.0.0.256/8", "dsthost", "'256' is above 255")]
    [InlineData("dst6=::ffff:1.2.3.010", "dst6", "'010' has a leading zero")]
    public void an_address_with_four_dotted_parts_is_refused_saying_which_part_is_wrong(string given, string key, string reason)
    {
        var error = RuleText.ErrorFor("action=accept " + given);

        Assert.Equal(key, error.Key);
        Assert.Contains(reason, error.Message);
    }

    /// <summary>
    /// No host name holds a colon, so a dsthost with one is an IPv6 address gone wrong; told that it "may only hold
    /// a-z, 0-9, '-', '.' and '_'", the reader of 2001:db8::1::2 sees only those and learns nothing.
    /// </summary>
    [Theory]
    [InlineData("dsthost=2001:db8::1::2", "dsthost: '2001:db8::1::2' is not an IPv6 address")]
    [InlineData("dsthost=2001:db8:0:0:0:0:0:0:1", "dsthost: '2001:db8:0:0:0:0:0:0:1' is not an IPv6 address")]
    [InlineData("dsthost=::ffff:1.2.3.300", "dsthost: '::ffff:1.2.3.300' is not an IPv6 address: in its IPv4 part, '300' is above 255")]
    public void a_dsthost_with_a_colon_is_refused_as_an_ipv6_address(string given, string message)
    {
        var error = RuleText.ErrorFor("action=accept " + given);

        Assert.Equal(("dsthost", message), (error.Key, error.Message));
    }

    [Theory]
    [InlineData("dst6=192.0.2.1")]
    [InlineData("dst6=2001:db8::1/129")]
    [InlineData("dst6=2001:db8:::1")]
    [InlineData("dst6=fe80::1%eth0")]
    [InlineData("dst6=")]
    [InlineData("dst6=example.com")]
    [InlineData("dst6=::ffff:1.2.3.010")]
    [InlineData("dst6=::ffff:1.2.3.08")]
    [InlineData("dst6=::1.2.3.09")]
    [InlineData("dst6=::ffff:1.2.3")]
    public void an_invalid_dst6_is_refused_naming_dst6(string destination) =>
        Assert.Equal("dst6", RuleText.ErrorFor("action=accept " + destination).Key);

    [Theory]
    [InlineData("updates.example")]
    [InlineData("a-b_c.example.org")]
    [InlineData("example.com.")]
    [InlineData("localhost")]
    [InlineData("0-9.example")]
    public void a_lowercase_host_name_is_accepted_as_dsthost(string host) =>
        Assert.Equal($"action=accept dsthost={host}", RuleText.Canonical($"action=accept dsthost={host}"));

    [Theory]
    [InlineData("Updates.example")]
    [InlineData("exa*mple.com")]
    [InlineData("ex!ample.com")]
    [InlineData("bücher.example")]
    [InlineData("host/24")]
    [InlineData("")]
    public void a_dsthost_outside_the_hostname_characters_is_refused(string host) =>
        Assert.Equal("dsthost", RuleText.ErrorFor($"action=accept dsthost={host}").Key);

    [Theory]
    [InlineData(".example.com")]
    [InlineData("example..com")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("example.com..")]
    public void a_dsthost_with_an_empty_label_is_refused(string host)
    {
        var error = RuleText.ErrorFor($"action=accept dsthost={host}");

        Assert.Equal("dsthost", error.Key);
        Assert.Contains("label", error.Message);
    }

    [Theory]
    [InlineData("10.1")]
    [InlineData("1.2.3")]
    [InlineData("010.0.0.1")]
    [InlineData("4294967295")]
    public void a_dsthost_that_glibc_would_read_as_an_ipv4_address_is_refused(string host)
    {
        var error = RuleText.ErrorFor($"action=accept dsthost={host}");

        Assert.Equal("dsthost", error.Key);
        Assert.Contains("dst4=", error.Message);
    }

    /// <summary>
    /// getaddrinfo reads a name as an address only when all of it is one (one to four numbers, each in range):
    /// <c>host.123</c>, <c>1.2.3.4.5</c>, <c>123.</c> or <c>999.1</c> Qubes looks up in DNS like any name. They are
    /// refused still, since no top-level domain is all digits, but the refusal must not tell a migrating user
    /// that Qubes read their rule as an address it never matched.
    /// </summary>
    [Theory]
    [InlineData("host.123", "'123'")]
    [InlineData("1.2.3.4.5", "'5'")]
    [InlineData("123.", "'123'")]
    [InlineData("999.1", "'1'")]
    [InlineData("10.0x", "'0x'")]
    [InlineData("example.0x1", "'0x1'")]
    public void a_dsthost_ending_in_a_numeric_label_that_glibc_would_look_up_is_refused_as_no_top_level_domain(string host, string label)
    {
        var error = RuleText.ErrorFor($"action=accept dsthost={host}");

        Assert.Equal("dsthost", error.Key);
        Assert.DoesNotContain("Qubes would read as one", error.Message);
        Assert.Contains($"ends in the label {label}, which no top-level domain is", error.Message);
    }

    [Theory]
    [InlineData("dst6=::ffff:1.2.3.4", "dst6=::ffff:1.2.3.4/128")]
    [InlineData("dsthost=::ffff:192.0.2.1", "dst6=::ffff:192.0.2.1/128")]
    public void an_ipv6_address_with_a_well_formed_ipv4_part_is_accepted(string given, string canonical) =>
        Assert.Equal("action=accept " + canonical, RuleText.Canonical("action=accept " + given));

    [Fact]
    public void a_dsthost_label_longer_than_63_characters_is_refused() =>
        Assert.Equal("dsthost", RuleText.ErrorFor($"action=accept dsthost={new string('a', 64)}.example").Key);

    [Theory]
    [InlineData("dsthost=192.0.2.1", "dst4=192.0.2.1/32")]
    [InlineData("dsthost=2001:db8::1", "dst6=2001:db8::1/128")]
    [InlineData("dsthost=::1", "dst6=::1/128")]
    [InlineData("dsthost=192.168.0.0/16", "dst4=192.168.0.0/16")]
    [InlineData("dsthost=10.137.0.0/24", "dst4=10.137.0.0/24")]
    [InlineData("dsthost=fd00::/8", "dst6=fd00::/8")]
    [InlineData("dsthost=192.0.2.7/32", "dst4=192.0.2.7/32")]
    public void an_ip_literal_given_as_dsthost_is_classified_by_its_value(string given, string canonical)
    {
        var rule = RuleText.Parse("action=accept " + given);

        Assert.Equal("action=accept " + canonical, rule.ToString());
        Assert.Null(rule.Host);
        Assert.True(rule.HasExplicitNetwork);
    }

    [Theory]
    [InlineData("dsthost=example.com/24", "dsthost: 'example.com' is not an IPv4 address with four dotted parts")]
    [InlineData("dsthost=192.0.2.0/33", "dsthost: the prefix length must be a number from 0 to 32, not '33'")]
    [InlineData("dsthost=2001:db8::/129", "dsthost: the prefix length must be a number from 0 to 128, not '129'")]
    public void a_dsthost_network_that_is_not_one_is_named_as_such(string given, string message)
    {
        var error = RuleText.ErrorFor("action=accept " + given);

        Assert.Equal(("dsthost", message), (error.Key, error.Message));
    }

    /// <summary>
    /// Qubes' validator reads <c>/0024</c> with Python's int() (24) and keeps it as typed, but nft, which the
    /// agent hands it to, reads it as octal (20): the rule would mean one network in the policy and another
    /// in the kernel, so it is refused with that said, as IPv4 parts with leading zeros are.
    /// </summary>
    [Theory]
    [InlineData("dst4=192.168.0.0/0024", "dst4", "24")]
    [InlineData("dst6=2001:db8::/00032", "dst6", "32")]
    [InlineData("dsthost=192.168.0.0/010", "dsthost", "10")]
    public void a_prefix_length_with_leading_zeros_is_refused_as_ambiguous(string given, string key, string meant)
    {
        var error = RuleText.ErrorFor("action=accept " + given);

        Assert.Equal(key, error.Key);
        Assert.Contains("leading zero", error.Message);
        Assert.Contains($"/{meant}", error.Message);
    }

    /// <summary>A prefix with a leading zero whose value is out of range anyway: the refusal must not advise a prefix that is refused too.</summary>
    [Theory]
    [InlineData("dst4=10.0.0.0/033", "33")]
    [InlineData("dst6=2001:db8::/0129", "129")]
    public void a_prefix_length_with_a_leading_zero_and_out_of_range_is_not_advised_as_its_fix(string given, string refused)
    {
        var error = RuleText.ErrorFor("action=accept " + given);

        Assert.DoesNotContain($"(/{refused})", error.Message);
        Assert.Contains("the prefix length must be a number from 0 to", error.Message);
    }

    [Theory]
    [InlineData("0xc0a80001")]
    [InlineData("192.168.0.0x1")]
    [InlineData("10.0x1")]
    [InlineData("0x0a.0x00.0x00.0x01")]
    public void a_dsthost_that_glibc_would_read_as_a_hexadecimal_ipv4_address_is_refused(string host)
    {
        // getaddrinfo("192.168.0.0x1") is 192.168.0.1, as getaddrinfo("010.0.0.1") is 8.0.0.1: Qubes would match that address.
        var error = RuleText.ErrorFor($"action=accept dsthost={host}");

        Assert.Equal("dsthost", error.Key);
        Assert.Contains("dst4=", error.Message);
    }

    [Theory]
    [InlineData("0xbeef.example")]
    [InlineData("example.0xz")]
    public void a_dsthost_with_a_hex_looking_label_that_is_not_last_or_not_hex_is_a_name(string host)
    {
        Assert.Equal(host, RuleText.Parse($"action=accept dsthost={host}").Host);
    }

    [Theory]
    [InlineData("action=accept dstname=example.com", "action=accept dsthost=example.com")]
    [InlineData("action=drop dstname=192.0.2.0/24", "action=drop dst4=192.0.2.0/24")]
    public void dstname_is_qubes_other_name_for_dsthost(string text, string canonical) =>
        Assert.Equal(canonical, RuleText.Canonical(text));

    [Fact]
    public void dstname_with_dsthost_is_two_destinations() =>
        Assert.Equal("dstname", RuleText.ErrorFor("action=accept dsthost=example.com dstname=example.org").Key);
}
