using Lethe.Control.Cli;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// What `lethe` says of answers no control plane sends (a proxy's page in a charset .NET cannot
/// decode, another JSON API's list): one `error:` line, never a stack trace.
/// </summary>
public class CliForeignAnswerTests
{
    [Theory]
    [InlineData("502 Bad Gateway", "text/html; charset=windows-1252", "policy list")]
    [InlineData("502 Bad Gateway", "text/html; charset=iso-8859-15", "rule add home work action=accept --reason r")]
    [InlineData("200 OK", "application/json; charset=bogus", "policy list")]
    [InlineData("200 OK", "application/json; charset=windows-1252", "publish home --reason r")]
    public async Task an_answer_in_a_charset_dotnet_cannot_decode_is_one_error_line(string status, string contentType, string command)
    {
        var (code, output, error, _) = await RunAgainst(status, contentType, "<html><body>upstream is down</body></html>"u8.ToArray(), command.Split(' '));

        Assert.Equal(1, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("policy", "list")]
    [InlineData("history", "home")]
    [InlineData("snapshot", "list", "home")]
    [InlineData("test", "list", "home")]
    [InlineData("diff", "home", "1", "2")]
    public async Task another_json_api_answering_a_list_of_strings_is_named_not_a_stack_trace(params string[] command)
    {
        var (code, output, error, root) = await RunAgainst("200 OK", "application/json", "[\"alpha\", \"beta\"]"u8.ToArray(), command);

        Assert.Equal(1, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"error: the server at {root} did not answer as a Lethe control plane", line);
        Assert.Contains("JSON that is not a list of JSON objects", line);
        Assert.Equal("", output);
    }

    /// <summary>The right outer kind, with something inside it that no control plane sends, where a printer indexes.</summary>
    [Theory]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": \"none\", \"tests\": []}", "a \"clients\" that is not a list of JSON objects", "show", "home")]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": [{\"name\": \"work\", \"addresses\": [], \"rules\": \"none\"}], \"tests\": []}", "a client's \"rules\" that is not a list of JSON objects", "show", "home")]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": [{\"name\": \"work\", \"rules\": []}], \"tests\": []}", "a client's \"addresses\" that is not a list", "show", "home")]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": [], \"tests\": [\"t-1\"]}", "a \"tests\" that is not a list of JSON objects", "show", "home")]
    [InlineData("[{\"client\": \"work\", \"added\": \"r-1\"}]", "a client's \"added\" that is not a list of JSON objects", "diff", "home", "1", "2")]
    [InlineData("[{\"client\": \"work\", \"moved\": [\"r-1\"]}]", "a client's \"moved\" that is not a list of JSON objects", "diff", "home", "1", "2")]
    [InlineData("[{\"client\": \"work\", \"addressesAdded\": 7}]", "a client's \"addressesAdded\" that is not a list", "diff", "home", "1", "2")]
    [InlineData("[{\"at\": \"yesterday\", \"actor\": \"alice\"}]", "an entry whose \"at\" is not a time", "history", "home")]
    [InlineData("[{\"actor\": \"alice\"}]", "an entry whose \"at\" is not a time", "history", "home")]
    [InlineData("[{\"version\": 1, \"sealedAt\": \"soon\"}]", "an entry whose \"sealedAt\" is not a time", "snapshot", "list", "home")]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": [], \"tests\": [], \"pendingVersion\": 2, \"confirmBy\": 7}", "a \"confirmBy\" that is not a time", "show", "home")]
    [InlineData("{\"policy\": \"home\", \"version\": 2, \"contentSha256\": \"ab\", \"keyId\": \"k\", \"confirmBy\": \"in an hour\"}", "a \"confirmBy\" that is not a time", "publish", "home", "--reason", "r")]
    [InlineData("{\"ids\": \"r-1\"}", "an \"ids\" that is not a list", "rule", "import", "home", "work", "-", "--reason", "r")]
    public async Task another_json_api_whose_answer_has_the_wrong_shape_inside_is_named_not_a_stack_trace(string body, string what, params string[] command)
    {
        var (code, output, error, root) = await RunAgainst("200 OK", "application/json", System.Text.Encoding.UTF8.GetBytes(body), command, stdin: "action=accept\n");

        Assert.Equal(1, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"error: the server at {root} did not answer as a Lethe control plane", line);
        Assert.Contains(what, line);
        Assert.Equal("", output);
    }

    /// <summary>
    /// A control plane sends each time as ISO 8601. Text only a loose parse takes for one (a US date, read as
    /// 4 March; a time of day, read as today) would be printed as a moment to the microsecond, another one
    /// than the answer meant, without a word: it is named as another program's, as `show --at` refuses it.
    /// </summary>
    [Theory]
    [InlineData("[{\"at\": \"03/04/2026 10:00\", \"actor\": \"alice\"}]", "an entry whose \"at\" is not a time", "history", "home")]
    [InlineData("[{\"version\": 1, \"sealedAt\": \"10:00\"}]", "an entry whose \"sealedAt\" is not a time", "snapshot", "list", "home")]
    [InlineData("{\"name\": \"home\", \"version\": 1, \"clients\": [], \"tests\": [], \"pendingVersion\": 2, \"confirmBy\": \"12/02/2026\"}", "a \"confirmBy\" that is not a time", "show", "home")]
    [InlineData("{\"policy\": \"home\", \"version\": 2, \"contentSha256\": \"ab\", \"keyId\": \"k\", \"confirmBy\": \"Wed, 02 Dec 2026 06:57\"}", "a \"confirmBy\" that is not a time", "publish", "home", "--reason", "r")]
    public async Task a_time_that_is_not_iso_8601_is_named_not_printed_as_some_other_moment(string body, string what, params string[] command) =>
        await another_json_api_whose_answer_has_the_wrong_shape_inside_is_named_not_a_stack_trace(body, what, command);

    private const string PolicyWithExpiringRule =
        "{\"name\": \"home\", \"version\": 1, \"clients\": [{\"name\": \"work\", \"addresses\": [\"10.137.0.5\"], " +
        "\"rules\": [{\"id\": \"r-1\", \"rule\": \"action=accept expire=2000000000 proto=tcp\"}]}], \"tests\": []}";

    /// <summary>
    /// Whether a rule has expired is judged at the time the control plane answered (its Date header),
    /// not by the operator's clock: here the answer comes from 2040, after the rule's 2033 expiry.
    /// </summary>
    [Fact]
    public async Task show_judges_expiry_by_the_answers_date_not_the_local_clock()
    {
        var (code, output, _, _) = await RunAgainst("200 OK", "application/json\r\nDate: Sun, 01 Jan 2040 00:00:00 GMT",
            System.Text.Encoding.UTF8.GetBytes(PolicyWithExpiringRule), ["show", "home"]);

        Assert.Equal(0, code);
        Assert.Contains("expired 2033-05-18 03:33:20.000000Z: matches nothing", output);
    }

    [Fact]
    public async Task without_a_date_header_show_judges_expiry_by_the_local_clock()
    {
        var (code, output, _, _) = await RunAgainst("200 OK", "application/json",
            System.Text.Encoding.UTF8.GetBytes(PolicyWithExpiringRule), ["show", "home"]);

        Assert.Equal(0, code);
        Assert.Contains("expires 2033-05-18 03:33:20.000000Z", output);
    }

    /// <summary>`show --at` shows the policy as it stood then: a rule is judged expired or not at that time.</summary>
    [Fact]
    public async Task show_at_judges_expiry_at_the_time_asked_for()
    {
        var (code, output, _, _) = await RunAgainst("200 OK", "application/json\r\nDate: Sun, 01 Jan 2040 00:00:00 GMT",
            System.Text.Encoding.UTF8.GetBytes(PolicyWithExpiringRule), ["show", "home", "--at", "2030-01-01T00:00:00Z"]);

        Assert.Equal(0, code);
        Assert.Contains("expires 2033-05-18 03:33:20.000000Z", output);
        Assert.DoesNotContain("expired", output);
    }

    /// <summary>A proxy's or another server's refusal may hold a megabyte of text: each line shows its start and length.</summary>
    [Theory]
    [InlineData("{{\"detail\":\"{0}\"}}", "policy", "list")]
    [InlineData("{{\"title\":\"bad\",\"errors\":{{\"name\":[\"{0}\"]}}}}", "policy", "create", "x", "-m", "r")]
    [InlineData("{{\"title\":\"tests failed\",\"failures\":[{{\"description\":\"{0}\"}}]}}", "publish", "home", "-m", "r")]
    public async Task a_refusal_line_of_a_megabyte_shows_its_start_and_length(string body, params string[] command)
    {
        var json = string.Format(System.Globalization.CultureInfo.InvariantCulture, body, new string('x', 1_000_000));

        var (code, _, error, _) = await RunAgainst("422 Unprocessable Entity", "application/problem+json", System.Text.Encoding.UTF8.GetBytes(json), command);

        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        // The line's length: the field's name ("name: ") counts in it.
        Assert.Matches(@"\.\.\. \(1,000,0\d\d characters\)", error);
        Assert.True(error.Length < 3_000, $"{error.Length} characters");
    }

    /// <summary>A Lethe control plane names at most about 1,100 fields; another server may name millions, which would bury the message.</summary>
    [Fact]
    public async Task a_refusal_of_a_hundred_thousand_lines_shows_the_first_two_thousand_and_counts_the_rest()
    {
        var json = "{\"title\":\"bad\",\"errors\":{\"addresses\":[" + string.Join(",", Enumerable.Range(1, 100_000).Select(i => $"\"bad {i}\"")) + "]}}";

        var (code, _, error, _) = await RunAgainst("400 Bad Request", "application/problem+json", System.Text.Encoding.UTF8.GetBytes(json),
            ["client", "add", "home", "guest", "--address", "10.137.0.9", "-m", "r"]);

        Assert.Equal(1, code);
        var lines = error.TrimEnd().Split('\n');
        Assert.Equal("error: bad (HTTP 400)", lines[0]);
        Assert.Equal("  --address: bad 1", lines[1]);
        Assert.Equal("  --address: bad 2000", lines[2_000]);
        Assert.Equal("  ... and 98,000 more line(s) of the refusal, not shown", lines[2_001]);
        Assert.Equal(2_002, lines.Length);
    }

    /// <summary>One command against a loopback server that gives every request the same answer; Root is its --server.</summary>
    private static async Task<(int Code, string Out, string Err, string Root)> RunAgainst(string status, string contentType, byte[] body, string[] command,
        string stdin = "")
    {
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", body));
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create();

        var code = await LetheCli.Run([.. command, "--server", server.Root, "--token", ControlPlaneHost.EditorToken],
            output, error, new StringReader(stdin), () => http);
        return (code, output.ToString(), error.ToString(), server.Root);
    }
}
