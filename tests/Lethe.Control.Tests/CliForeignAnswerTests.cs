using Lethe.Control.Cli;
using Lethe.TestSupport;

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
        var (code, output, error) = await RunAgainst(status, contentType, "<html><body>upstream is down</body></html>"u8.ToArray(), command.Split(' '));

        Assert.Equal(1, code);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Equal("", output);
    }

    /// <summary>One command against a loopback server that gives every request the same answer.</summary>
    private static async Task<(int Code, string Out, string Err)> RunAgainst(string status, string contentType, byte[] body, string[] command)
    {
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n", body));
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create();

        var code = await LetheCli.Run([.. command, "--server", server.Root, "--token", ControlPlaneHost.EditorToken],
            output, error, new StringReader(""), () => http);
        return (code, output.ToString(), error.ToString());
    }
}
