using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

public class CliTlsErrorTests
{
    [Fact]
    public async Task an_untrusted_certificate_is_named_not_hidden_behind_see_inner_exception()
    {
        await using var server = new SelfSignedTls();
        var output = new StringWriter();
        var error = new StringWriter();
        using var http = new HttpClient();

        var code = await Lethe.Control.Cli.LetheCli.Run(["policy", "list", "--server", server.BaseUrl, "--token", "x"], output, error, new StringReader(""), () => http);

        Assert.Equal(1, code);
        Assert.StartsWith($"error: cannot reach the control plane at {server.BaseUrl}: The SSL connection could not be established: ", error.ToString());
        Assert.DoesNotContain("see inner exception", error.ToString());
        Assert.Contains("certificate", error.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
