using Lethe.Control.Cli;

namespace Lethe.Control.Tests;

/// <summary>What `show` prints under a rule with expire, judged as the firewall judges it: the rule matches while the clock is before it.</summary>
public class RuleExpiryNoteTests
{
    [Theory]
    [InlineData(99_500, "expires 1970-01-01 00:01:40.000000Z")] // half a second before: still before
    [InlineData(100_000, "expired 1970-01-01 00:01:40.000000Z: matches nothing until `lethe rule remove`")]
    [InlineData(100_900, "expired 1970-01-01 00:01:40.000000Z: matches nothing until `lethe rule remove`")]
    public void a_rule_is_expired_from_its_expiry_second_on(long asOfMilliseconds, string note) =>
        Assert.Equal(note, RuleExpiry.Note("action=accept expire=100 dst4=192.0.2.1", DateTimeOffset.FromUnixTimeMilliseconds(asOfMilliseconds)));

    [Fact]
    public void a_rule_without_expire_or_a_text_that_is_no_rule_has_no_note()
    {
        Assert.Null(RuleExpiry.Note("action=drop", DateTimeOffset.UnixEpoch));
        Assert.Null(RuleExpiry.Note("not a rule", DateTimeOffset.UnixEpoch));
    }
}
