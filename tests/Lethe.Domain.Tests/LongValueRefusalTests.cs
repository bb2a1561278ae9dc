using System.Text;
using System.Text.Json.Nodes;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using static Lethe.Domain.Tests.Snapshots;

namespace Lethe.Domain.Tests;

/// <summary>
/// A refusal quoting a huge value (a fuzzer's megabyte key, a 16 MiB snapshot field) stays a readable line:
/// it names what is wrong, shows the value's start so the user knows it, and says how long the value was.
/// </summary>
public class LongValueRefusalTests
{
    private const int Short = 300;
    private static readonly string Megabyte = new('a', 1_048_576);

    [Theory]
    [InlineData("action=accept {0}=1", "unknown key 'aaaa")]
    [InlineData("action=accept dst4={0}", "dst4: 'aaaa")]
    [InlineData("action=accept dst6={0}:1", "dst6: 'aaaa")]
    [InlineData("action=accept dsthost={0}:1", "dsthost: 'aaaa")]
    [InlineData("action=accept dst4=1.1.1.{0}", "is not an IPv4 address: 'aaaa")]
    [InlineData("action=accept proto={0}", "proto must be tcp, udp or icmp, not 'aaaa")]
    [InlineData("action={0}", "action must be accept, drop or reject, not 'aaaa")]
    [InlineData("action=accept {0}", "'aaaa")]
    [InlineData("action=accept dst4=10.0.0.0/{0}", "dst4: the prefix length must be a number from 0 to 32, not 'aaaa")]
    public void a_rule_with_a_megabyte_value_is_refused_in_a_short_message_that_shows_its_start_and_length(string template, string start)
    {
        var error = RuleText.ErrorFor(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Megabyte));

        Assert.True(error.Message.Length < Short, $"{error.Message.Length} characters: {error.Message[..Math.Min(400, error.Message.Length)]}");
        Assert.Contains(start, error.Message);
        Assert.Contains("...' (1,048,57", error.Message);
        Assert.True(error.Key.Length < 20, $"reported under a key of {error.Key.Length} characters");
    }

    [Fact]
    public void a_megabyte_unknown_key_is_reported_under_rule()
    {
        var error = RuleText.ErrorFor($"action=accept {Megabyte}=1");

        Assert.Equal("rule", error.Key);
        Assert.StartsWith($"unknown key '{new string('a', QuotedText.MaxShown)}...' (1,048,576 characters) (keys are lowercase: ", error.Message);
    }

    [Fact]
    public void a_value_up_to_the_cap_is_quoted_whole_as_before()
    {
        var word = new string('x', QuotedText.MaxShown);

        Assert.Equal($"action must be accept, drop or reject, not '{word}'", RuleText.ErrorFor($"action={word}").Message);
        Assert.Equal($"'{word}...' ({QuotedText.MaxShown + 1} characters)", QuotedText.Quote(word + "x"));
    }

    [Fact]
    public void a_cut_never_splits_an_escape_or_a_surrogate_pair()
    {
        // Plain characters up to one short of the cap, then an ESC (shown as four) and an emoji (two UTF-16 units): neither fits whole, neither is cut.
        var text = new string('a', QuotedText.MaxShown - 1) + "\u001b" + "\U0001F600" + "tail";

        Assert.Equal($"'{new string('a', QuotedText.MaxShown - 1)}...' ({QuotedText.MaxShown + 5} characters)", QuotedText.QuoteSafe(text));
        var emoji = new string('a', QuotedText.MaxShown - 1) + "\U0001F600" + "tail";
        Assert.Equal($"'{new string('a', QuotedText.MaxShown - 1)}...' ({QuotedText.MaxShown + 4} characters)", QuotedText.QuoteSafe(emoji));
    }

    [Fact]
    public void a_line_cut_short_keeps_a_surrogate_pair_whole_and_says_its_length_in_characters()
    {
        var line = new string('a', 9) + "\U0001F600" + "tail";

        Assert.Equal("aaaaaaaaa... (14 characters)", QuotedText.Cut(line, 10));
        Assert.Equal(line, QuotedText.Cut(line, line.Length));
    }

    [Fact]
    public void a_snapshot_with_a_16_mib_format_is_refused_in_a_short_message_naming_the_format()
    {
        using var key = NewKey();
        var file = JsonNode.Parse(File(key))!.AsObject();
        file["format"] = "lethe.snapshot/" + new string('9', 16 * 1024 * 1024);

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(Encoding.UTF8.GetBytes(file.ToJsonString()), Pem(key)));

        Assert.True(refused.Message.Length < Short, $"{refused.Message.Length} characters");
        Assert.StartsWith("unknown snapshot format 'lethe.snapshot/999", refused.Message);
        Assert.Contains("...' (16,777,23", refused.Message);
    }

    [Theory]
    [InlineData("contentSha256", "content hash mismatch: the file says ffff")]
    [InlineData("keyId", "signed with key ffff")]
    public void a_snapshot_with_a_huge_hash_or_key_id_is_refused_in_a_short_message(string field, string start)
    {
        using var key = NewKey();
        var file = JsonNode.Parse(File(key))!.AsObject();
        file[field] = new string('f', 1_000_000);

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(Encoding.UTF8.GetBytes(file.ToJsonString()), Pem(key)));

        Assert.True(refused.Message.Length < Short, $"{refused.Message.Length} characters: {refused.Message[..Math.Min(400, refused.Message.Length)]}");
        Assert.StartsWith(start, refused.Message);
        Assert.Contains("... (1,000,000 characters)", refused.Message);
    }

    [Fact]
    public void a_snapshot_file_with_a_megabyte_property_name_is_refused_in_a_short_message_that_still_says_where()
    {
        using var key = NewKey();
        var file = Encoding.UTF8.GetBytes("{\"" + Megabyte + "\": 1x}");

        var refused = Assert.Throws<SnapshotVerificationException>(() => SnapshotVerifier.Verify(file, Pem(key)));

        Assert.True(refused.Message.Length < Short, $"{refused.Message.Length} characters: {refused.Message[..Math.Min(400, refused.Message.Length)]}");
        Assert.StartsWith("not a Lethe snapshot file: 'x' is an invalid end of a number.", refused.Message);
        Assert.Contains("Path: $.aaaa", refused.Message);
        Assert.Contains("... (1,048,578 characters) | LineNumber: 0", refused.Message);
    }
}
