namespace Lethe.Domain.Tests;

public class RuleSyntaxTests
{
    [Theory]
    [InlineData("proto=tcp action=accept dst4=192.0.2.0/24 dstports=443")]
    [InlineData("dstports=443 proto=tcp dst4=192.0.2.0/24 action=accept")]
    [InlineData("dst4=192.0.2.0/24 dstports=443-443 action=accept proto=tcp")]
    [InlineData("action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443")]
    public void keys_are_accepted_in_any_order_and_written_in_canonical_order(string text) =>
        Assert.Equal("action=accept dst4=192.0.2.0/24 proto=tcp dstports=443-443", RuleText.Canonical(text));

    [Theory]
    [InlineData("action=accept action=drop", "action")]
    [InlineData("action=accept proto=tcp proto=udp", "proto")]
    [InlineData("action=accept dst4=192.0.2.1 dst4=192.0.2.2", "dst4")]
    [InlineData("action=accept dst6=2001:db8::1 dst6=2001:db8::2", "dst6")]
    [InlineData("action=accept dsthost=a.example dsthost=b.example", "dsthost")]
    [InlineData("action=accept proto=tcp dstports=80 dstports=443", "dstports")]
    [InlineData("action=accept proto=icmp icmptype=8 icmptype=0", "icmptype")]
    [InlineData("action=accept specialtarget=dns specialtarget=dns", "specialtarget")]
    [InlineData("action=accept expire=1800000000 expire=1900000000", "expire")]
    [InlineData("action=accept dpi=NO dpi=NO", "dpi")]
    [InlineData("action=accept comment=one comment=two", "comment")]
    public void duplicate_key_is_refused_naming_the_key(string text, string key)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal(key, error.Key);
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("action=accept dst4=192.0.2.1 dst6=2001:db8::1", "dst4", "dst6")]
    [InlineData("action=accept dst6=2001:db8::1 dst4=192.0.2.1", "dst4", "dst6")]
    [InlineData("action=accept dst4=192.0.2.1 dsthost=a.example", "dst4", "dsthost")]
    [InlineData("action=accept dsthost=a.example dst6=2001:db8::1", "dst6", "dsthost")]
    public void two_destinations_are_refused_naming_a_destination_key(string text, string first, string second)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Contains(error.Key, new[] { first, second });
        Assert.Contains(error.Key, error.Message);
    }

    [Theory]
    [InlineData("Action=accept", "Action")]
    [InlineData("ACTION=accept", "ACTION")]
    [InlineData("action=accept Proto=tcp", "Proto")]
    [InlineData("action=Accept", "action")]
    [InlineData("action=DROP", "action")]
    [InlineData("action=accept proto=TCP", "proto")]
    [InlineData("action=accept specialtarget=DNS", "specialtarget")]
    [InlineData("action=accept dsthost=Example.com", "dsthost")]
    public void keywords_and_values_must_be_exactly_lowercase(string text, string key) =>
        Assert.Equal(key, RuleText.ErrorFor(text).Key);

    [Theory]
    [InlineData("action=accept\tproto=tcp")]
    [InlineData("action=accept  proto=tcp")]
    [InlineData("action=accept proto=tcp  dstports=80")]
    [InlineData("\taction=accept")]
    [InlineData("action=accept\t")]
    [InlineData("action=accept  comment=two spaces before the comment")]
    public void a_tab_or_a_double_space_between_pairs_is_refused(string text) =>
        Assert.Contains("one space", RuleText.ErrorFor(text).Message);

    /// <summary>
    /// A no-break space, a fullwidth digit or a Cyrillic letter pasted from a document looks like the ASCII it imitates,
    /// so a refusal that only quotes the text ("not 'accept proto=tcp'") leaves the reader nothing to fix.
    /// </summary>
    [Theory]
    [InlineData("action=accept\u00a0proto=tcp", "action", "U+00A0")]
    [InlineData("action=accept proto=tcp\u2003dstports=443", "proto", "U+2003")]
    [InlineData("\u0430ction=accept", "rule", "U+0430")]
    [InlineData("action=accept dsthost=exampl\u0435.com", "dsthost", "U+0435")]
    [InlineData("action=accept proto=tcp dstports=6553\uff15", "dstports", "U+FF15")]
    [InlineData("action=accept comment=see\u00a0ticket", "comment", "U+00A0")]
    [InlineData("action=accept comment=ok \U0001F44D", "comment", "U+1F44D")]
    public void a_character_outside_ascii_is_named_by_its_code_point(string text, string key, string named)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal(key, error.Key);
        Assert.Contains(named, error.Message);
        Assert.Contains("ASCII", error.Message);
    }

    /// <summary>
    /// The position is what the user counts in the line they typed: leading spaces, which the parser skips, count too.
    /// </summary>
    [Theory]
    [InlineData("action=accept\u00a0proto=tcp", "character 14,")]
    [InlineData("   action=accept\u00a0proto=tcp", "character 17,")]
    [InlineData("  action=acc\u001bept", "character 13,")]
    public void a_named_character_is_placed_by_its_position_in_the_line_as_typed(string text, string position) =>
        Assert.Contains(position, RuleText.ErrorFor(text).Message);

    /// <summary>
    /// A control character (an ESC from a pasted terminal line, a NUL, a carriage return) is as invisible as a no-break
    /// space, and quoted raw it would act on the terminal or log that shows the refusal: named by its code point too.
    /// </summary>
    [Theory]
    [InlineData("action=acc\u001bept", "action", "U+001B")]
    [InlineData("action=accept\0", "action", "U+0000")]
    [InlineData("action=accept\rproto=tcp", "action", "U+000D")]
    [InlineData("action=accept proto=tcp\n", "proto", "U+000A")]
    [InlineData("\u001b[2Jaction=accept", "rule", "U+001B")]
    [InlineData("action=accept icmptype\u001b8", "rule", "U+001B")]
    [InlineData("action=accept ex\u0001pire=1", "rule", "U+0001")]
    public void a_control_character_is_named_by_its_code_point_not_echoed(string text, string key, string named)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal(key, error.Key);
        Assert.Contains(named, error.Message);
        Assert.True(TerminalText.IsPlain(error.Message), error.Message);
    }

    /// <summary>A refusal is reported under rule.KEY: an unknown key in front of a bad character is no key to name, the rule is.</summary>
    [Theory]
    [InlineData("action=accept exPire=+5\u0430")]
    [InlineData("action=accept dst44=192.0.2.1\u00a0")]
    public void a_character_outside_ascii_in_an_unknown_key_s_value_is_refused_under_rule(string text)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal("rule", error.Key);
        Assert.Contains("ASCII", error.Message);
    }

    /// <summary>A word that is no key=value pair is reported under rule.rule, unless it is a key missing its value.</summary>
    [Theory]
    [InlineData("action=accept =tcp", "rule")]
    [InlineData("=accept", "rule")]
    [InlineData("action=accept dst6= ::1", "rule")]
    [InlineData("action=accept tcp", "rule")]
    [InlineData("action=accept proto", "proto")]
    public void a_pair_without_a_key_is_refused_under_rule(string text, string key) =>
        Assert.Equal(key, RuleText.ErrorFor(text).Key);

    [Theory]
    [InlineData(" action=accept proto=tcp")]
    [InlineData("action=accept proto=tcp ")]
    [InlineData("   action=accept proto=tcp   ")]
    public void leading_and_trailing_spaces_are_stripped(string text) =>
        Assert.Equal("action=accept proto=tcp", RuleText.Canonical(text));

    [Theory]
    [InlineData("action=accept port=80", "port")]
    [InlineData("action=accept dst=192.0.2.1", "dst")]
    [InlineData("action=accept policy=drop", "policy")]
    [InlineData("action=accept srcports=80-80", "srcports")]
    public void unknown_key_is_refused_naming_the_key(string text, string key)
    {
        var error = RuleText.ErrorFor(text);

        Assert.Equal(key, error.Key);
        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void dpi_NO_is_accepted_and_left_out_of_the_canonical_form() =>
        Assert.Equal("action=accept dst4=192.0.2.1/32 proto=tcp", RuleText.Canonical("action=accept dst4=192.0.2.1 proto=tcp dpi=NO"));

    [Theory]
    [InlineData("dpi=YES")]
    [InlineData("dpi=no")]
    [InlineData("dpi=")]
    [InlineData("dpi=1")]
    public void any_dpi_value_other_than_NO_is_refused(string dpi) =>
        Assert.Equal("dpi", RuleText.ErrorFor("action=accept " + dpi).Key);

    [Theory]
    [InlineData("action=accept", "action=accept")]
    [InlineData("action=drop", "action=drop")]
    [InlineData("action=reject proto=tcp dstports=25", "action=reject proto=tcp dstports=25-25")]
    public void accept_drop_and_reject_are_the_actions(string text, string canonical) =>
        Assert.Equal(canonical, RuleText.Canonical(text));

    [Theory]
    [InlineData("proto=tcp dstports=80")]
    [InlineData("action= proto=tcp")]
    [InlineData("action=allow")]
    [InlineData("action=deny")]
    public void a_rule_without_a_valid_action_is_refused_naming_action(string text) =>
        Assert.Equal("action", RuleText.ErrorFor(text).Key);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("action")]
    [InlineData("action=accept proto")]
    [InlineData("action=accept =tcp")]
    public void text_that_is_not_key_value_pairs_is_refused(string text) =>
        Assert.NotEmpty(RuleText.ErrorFor(text).Message);
}
