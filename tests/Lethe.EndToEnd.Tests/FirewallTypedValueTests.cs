using Lethe.TestSupport.Host;
using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A refusal quoting what was typed on the command line (a flag's value, a path) shows it as a terminal cannot act on it
/// (escaped), and a pasted blob by its start and length, as rule refusals do.
/// </summary>
public sealed class FirewallTypedValueTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Theory]
    [InlineData("nft|--snapshot|x|--trust|k|--now|1\u001b[2J", "'1\\x1B[2J'")] // the parser's refusal
    [InlineData("verify|--snapshot|x|--trust|k\u001b]0;pwned\u0007", "the trusted key 'k\\x1B]0;pwned\\x07'")] // a path that cannot be read
    [InlineData("nft|--snapshot|{v1}|--trust|{key}|--dns|10.139.1.1\u202e", "--dns: '10.139.1.1\\u202E'")] // a flag's check
    [InlineData("verify|--snapshot| |--trust|{key}", "cannot read ' ': ")] // a blank path, quoted so it shows
    [InlineData("replay|--snapshot|{v1}|--trust|{key}|--pcap|\u007f|--verdicts|/dev/null", "--pcap ")] // a capture that cannot be read
    public async Task a_typed_value_is_quoted_escaped(string line, string expected)
    {
        var (code, error) = await Run(line, "");

        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain(error, c => c != '\n' && Lethe.Domain.TerminalText.Acts(c));
    }

    [Theory]
    [InlineData("nft|--snapshot|x|--trust|k|--now|{0}")]
    [InlineData("verify|--snapshot|{0}|--trust|{key}")]
    [InlineData("nft|--snapshot|{v1}|--trust|{key}|--dns|{0}")]
    [InlineData("replay|--snapshot|{v1}|--trust|{key}|--pcap|{0}|--verdicts|/dev/null")]
    [InlineData("nft|--snapshot|{v1}|--trust|{key}|--uplink-address|{0}/24")] // quoted in part: the address before the prefix length
    public async Task a_pasted_blob_is_quoted_by_its_start_and_length(string line)
    {
        var (code, error) = await Run(line, new string('\u00e9', 20_000));

        Assert.NotEqual(0, code);
        Assert.Contains("(20,000 characters)", error);
        Assert.True(error.Length < 1_000, error[..Math.Min(error.Length, 300)]);
    }

    /// <summary>A snapshot URL is quoted back in the fetch's refusal as typed: escaped too, wherever it fails.</summary>
    [Theory]
    [InlineData("verify|--snapshot|{0}|--trust|{key}")]
    [InlineData("nft|--snapshot|{0}|--trust|{key}")]
    // Verdicts to stdout: --verdicts naming the capture (/dev/null) would be refused before the snapshot is fetched.
    [InlineData("replay|--snapshot|{0}|--trust|{key}|--pcap|/dev/null|--verdicts|-")]
    public async Task a_snapshot_url_is_quoted_escaped_whether_nothing_or_a_refusal_answers(string line)
    {
        var bytes = "{\"detail\":\"gone\"}"u8.ToArray();
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes));
        // Port 1 of loopback: nothing listens there, so the connection is refused.
        foreach (var (url, said) in new[] { ($"{server.Url}/\u001b[2J", "answered 404 Not Found: gone"), ("http://127.0.0.1:1/\u001b[2J", "cannot fetch") })
        {
            var (code, error) = await Run(line, url);

            Assert.NotEqual(0, code);
            Assert.Contains(said, error);
            Assert.Contains("/\\x1B[2J", error);
            Assert.DoesNotContain(error, c => c != '\n' && Lethe.Domain.TerminalText.Acts(c));
        }
    }

    [Theory]
    [InlineData("verify|--snapshot|{0}|--trust|{key}")]
    [InlineData("verify|--snapshot|{v1}|--trust|{0}")]
    [InlineData("replay|--snapshot|{v1}|--trust|{key}|--pcap|{0}|--verdicts|/dev/null")]
    public async Task a_deep_path_that_cannot_be_read_is_named_whole(string line)
    {
        // Deeper than any value a refusal cuts, far short of a pasted blob: the user needs all of it to find the file.
        var path = "/tmp/" + string.Join('/', Enumerable.Repeat("a-folder-that-is-not-there", 12)) + "/file";

        var (code, error) = await Run(line, path);

        Assert.NotEqual(0, code);
        Assert.Contains(path, error);
        Assert.DoesNotContain("characters)", error);
    }

    private async Task<(int Code, string Err)> Run(string line, string blob)
    {
        var args = line.Split('|').Select(word => word.Replace("{0}", blob, StringComparison.Ordinal)
            .Replace("{v1}", policy.V1, StringComparison.Ordinal).Replace("{key}", policy.PublicKey, StringComparison.Ordinal)).ToArray();
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FirewallCli.Run(args, output, error);
        return (code, error.ToString());
    }
}
