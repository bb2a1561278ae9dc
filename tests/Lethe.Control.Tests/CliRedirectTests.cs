using Lethe.Control.Cli;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// What `lethe` does when something at --server redirects: following would drop the token (a valid
/// one then reads as 401) and turn a change into a GET (405), so it names the redirect instead.
/// </summary>
public class CliRedirectTests
{
    [Theory]
    [InlineData("307 Temporary Redirect", "policy list")]
    [InlineData("301 Moved Permanently", "rule add home work action=accept --reason r")]
    [InlineData("302 Found", "publish home --reason r")]
    public async Task a_redirect_is_named_and_not_followed(string status, string command)
    {
        var requests = 0;
        await using var server = new LoopbackHttp(stream =>
        {
            // Where a redirect followed without the token would end: a 401 blaming it.
            var head = Interlocked.Increment(ref requests) == 1
                ? $"HTTP/1.1 {status}\r\nLocation: /elsewhere/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                : "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            return LoopbackHttp.Write(stream, head, []);
        });
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = ApiHttp.Create();

        var code = await LetheCli.Run([.. command.Split(' '), "--server", server.Root, "--token", ControlPlaneHost.EditorToken],
            output, error, new StringReader(""), () => http);

        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.StartsWith($"error: {server.Root} answered {status} to {server.Root}/elsewhere/ (redirects are not followed: give the final URL in --server)", line);
        Assert.Equal("", output.ToString());
        Assert.Equal(1, requests);
    }
}
