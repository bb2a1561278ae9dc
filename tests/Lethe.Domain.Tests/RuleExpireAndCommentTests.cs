namespace Lethe.Domain.Tests;

public class RuleExpireAndCommentTests
{
    [Fact]
    public void an_absolute_expire_is_kept_as_given() =>
        Assert.Equal(1_800_000_000, RuleText.Parse("action=accept expire=1800000000").Expire);

    [Fact]
    public void an_expire_in_the_past_still_parses() =>
        Assert.Equal(1_000, RuleText.Parse("action=accept expire=1000").Expire);

    [Fact]
    public void a_relative_expire_counts_seconds_from_the_given_now()
    {
        Assert.Equal(RuleText.Now + 3600, RuleText.Parse("action=accept expire=+3600").Expire);
        Assert.Equal(5_000 + 60, Rules.RuleParser.Parse("action=accept expire=+60", 5_000).Expire);
    }

    [Fact]
    public void a_relative_expire_is_stored_as_absolute_time() =>
        Assert.Equal($"action=accept expire={RuleText.Now + 60} proto=tcp", RuleText.Canonical("action=accept proto=tcp expire=+60"));

    [Theory]
    [InlineData("soon")]
    [InlineData("-60")]
    [InlineData("+")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("+-5")]
    [InlineData("99999999999999999999999")]
    public void an_expire_that_is_not_a_unix_time_is_refused_naming_expire(string expire) =>
        Assert.Equal("expire", RuleText.ErrorFor($"action=accept expire={expire}").Key);

    [Fact]
    public void a_relative_expire_may_not_land_after_the_latest_absolute_one()
    {
        Assert.Equal(253_402_300_799, Rules.RuleParser.Parse("action=accept expire=+253402299799", 1_000).Expire);
        Assert.Equal("expire", Assert.Throws<Rules.RuleFormatException>(() => Rules.RuleParser.Parse("action=accept expire=+253402299800", 1_000)).Key);
    }

    [Theory]
    [InlineData("253402300800")]
    [InlineData("999999999999")]
    public void an_expire_after_the_year_9999_is_refused_as_qubes_refuses_it(string expire)
    {
        // Qubes reads expire with datetime.fromtimestamp, which has no year 10000.
        var error = RuleText.ErrorFor($"action=accept expire={expire}");

        Assert.Equal("expire", error.Key);
        Assert.Contains("the end of the year 9999", error.Message);
        Assert.Equal(253_402_300_799, RuleText.Parse("action=accept expire=253402300799").Expire);
    }

    [Fact]
    public void a_comment_is_everything_after_comment_spaces_and_commas_included()
    {
        var rule = RuleText.Parse("action=accept proto=tcp dstports=22 comment=ssh to the jump host, ask Ana  first");

        Assert.Equal("ssh to the jump host, ask Ana  first", rule.Comment);
        Assert.Equal("action=accept proto=tcp dstports=22-22 comment=ssh to the jump host, ask Ana  first", rule.ToString());
    }

    [Fact]
    public void a_comment_keeps_its_trailing_spaces_as_qubes_does_and_reads_back_the_same()
    {
        // Qubes' parser takes the rest of the line as the comment and stores it as given.
        var rule = RuleText.Parse("action=accept proto=tcp comment=ask Ana  ");

        Assert.Equal("ask Ana  ", rule.Comment);
        Assert.Equal("action=accept proto=tcp comment=ask Ana  ", rule.ToString());
        // The draft stores that text and sealing re-reads it: it must read back as the same rule.
        Assert.Equal(rule, RuleText.Parse(rule.ToString()));
    }

    [Fact]
    public void a_comment_that_looks_like_keys_without_equals_is_still_the_comment() =>
        Assert.Equal("proto tcp action drop", RuleText.Parse("action=accept comment=proto tcp action drop").Comment);

    [Theory]
    [InlineData("comment=a=b")]
    [InlineData("comment=x proto=tcp")]
    [InlineData("comment=caf\u00e9")]
    [InlineData("comment=tab\there")]
    [InlineData("comment=del\u007f")]
    public void a_comment_that_is_not_ascii_or_holds_an_equals_sign_is_refused(string comment) =>
        Assert.Equal("comment", RuleText.ErrorFor("action=accept " + comment).Key);

    [Fact]
    public void a_comment_of_a_thousand_characters_is_kept_whole() =>
        Assert.Equal(1_000, RuleText.Parse("action=accept comment=" + new string('n', 1_000)).Comment!.Length);

    [Theory]
    [InlineData(1_001, "1,001")]
    [InlineData(29_000_000, "29,000,000")]
    public void a_longer_comment_is_refused_naming_its_length(int length, string shown)
    {
        // Comments stay in the control plane's log, read by every later change: not a place for a pasted document.
        var error = RuleText.ErrorFor("action=accept proto=tcp comment=" + new string('n', length));

        Assert.Equal(("comment", $"comment must be at most 1,000 characters; this one has {shown}"), (error.Key, error.Message));
    }

    [Theory]
    [InlineData("action=accept comment=")]
    [InlineData("action=accept comment= ")]
    [InlineData("action=accept comment=   ")]
    public void a_blank_comment_as_qvm_firewall_prints_it_is_no_comment(string text)
    {
        var rule = RuleText.Parse(text);

        Assert.Null(rule.Comment);
        Assert.Equal("action=accept", rule.ToString());
    }

    [Fact]
    public void a_rule_without_comment_has_none() =>
        Assert.Null(RuleText.Parse("action=accept").Comment);
}
