using System.Text;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// A control plane that refuses a snapshot URL says why, and the firewall passes that on: a 404 alone
/// does not tell a mistyped policy name from one not published yet (compose's firewall restarts on it),
/// nor a 401 a missing token from a wrong one.
/// </summary>
public sealed class SnapshotUrlRefusalTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Fact]
    public async Task a_url_naming_no_policy_of_the_control_plane_says_there_is_none()
    {
        var (code, output, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/hoem/snapshots/latest",
            "--trust", policy.PublicKey, "--token", ControlPlaneHost.ViewerToken);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("/policies/hoem/snapshots/latest answered 404 Not Found: There is no policy named hoem.", error);
    }

    [Fact]
    public async Task a_url_naming_a_version_not_sealed_says_so()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/home/snapshots/99",
            "--trust", policy.PublicKey, "--token", ControlPlaneHost.ViewerToken);

        Assert.Equal(1, code);
        Assert.Contains("answered 404 Not Found: Policy home has no version 99.", error);
    }

    /// <summary>What a server that is not Lethe's puts in a problem's detail is shown, not obeyed, and cut as any value it sends.</summary>
    [Theory]
    [InlineData("{\"detail\":\"gone \\u001b]0;owned\\u0007\"}", "answered 404 Not Found: gone \\x1B]0;owned\\x07")]
    [InlineData("{\"detail\":\"a\",\"detail\":\"b\"}", "answered 404 Not Found")]
    [InlineData("not json", "answered 404 Not Found")]
    public async Task a_foreign_servers_detail_is_escaped_and_a_malformed_one_is_left_out(string body, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        await using var server = new LoopbackHttp(stream => LoopbackHttp.Write(stream,
            $"HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n", bytes));

        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", server.Url, "--trust", policy.PublicKey);

        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("\u001b", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task an_unknown_token_is_named_as_such_not_as_a_missing_one()
    {
        var (code, _, error) = await FirewallProcess.Run(false, "verify", "--snapshot", $"{policy.Host.Url}/policies/home/snapshots/latest",
            "--trust", policy.PublicKey, "--token", "not-a-known-token");

        Assert.Equal(1, code);
        Assert.Contains("answered 401 Unauthorized (the control plane does not know the token given: --token or LETHE_TOKEN)", error);
        Assert.DoesNotContain("not-a-known-token", error);
    }
}
