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
        Assert.Equal(999_999_999_999, Rules.RuleParser.Parse("action=accept expire=+999999998999", 1_000).Expire);
        Assert.Equal("expire", Assert.Throws<Rules.RuleFormatException>(() => Rules.RuleParser.Parse("action=accept expire=+999999999000", 1_000)).Key);
    }

    [Fact]
    public void a_comment_is_everything_after_comment_spaces_and_commas_included()
    {
        var rule = RuleText.Parse("action=accept proto=tcp dstports=22 comment=ssh to the jump host, ask Ana  first");

        Assert.Equal("ssh to the jump host, ask Ana  first", rule.Comment);
        Assert.Equal("action=accept proto=tcp dstports=22-22 comment=ssh to the jump host, ask Ana  first", rule.ToString());
    }

    [Fact]
    public void a_comment_that_looks_like_keys_without_equals_is_still_the_comment() =>
        Assert.Equal("proto tcp action drop", RuleText.Parse("action=accept comment=proto tcp action drop").Comment);

    [Theory]
    [InlineData("comment=a=b")]
    [InlineData("comment=x proto=tcp")]
    [InlineData("comment=caf\u00e9")]
    [InlineData("comment=tab\there")]
    [InlineData("comment=")]
    [InlineData("comment=del\u007f")]
    public void a_comment_that_is_empty_not_ascii_or_holds_an_equals_sign_is_refused(string comment) =>
        Assert.Equal("comment", RuleText.ErrorFor("action=accept " + comment).Key);

    [Fact]
    public void a_rule_without_comment_has_none() =>
        Assert.Null(RuleText.Parse("action=accept").Comment);
}
