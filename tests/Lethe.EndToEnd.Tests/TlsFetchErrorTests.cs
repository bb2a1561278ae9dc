using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>A snapshot URL whose certificate the firewall does not trust: the reason is named, not hidden.</summary>
public sealed class TlsFetchErrorTests
{
    [Theory]
    [InlineData("verify")]
    [InlineData("boot")]
    public async Task an_untrusted_certificate_is_named_not_hidden_behind_see_inner_exception(string command)
    {
        await using var server = new SelfSignedTls();
        var trust = Path.GetTempFileName(); // never read as a key: the fetch fails first
        try
        {
            var (code, _, error) = await FirewallProcess.Run(false, command, "--snapshot", $"{server.BaseUrl}/policies/home/snapshots/latest", "--trust", trust);

            Assert.Equal(1, code);
            Assert.DoesNotContain("see inner exception", error);
            Assert.Contains("certificate", error, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(trust);
        }
    }
}
