using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// A 401 has two causes a user fixes differently: no token was sent at all (LETHE_TOKEN set in another
/// shell, say) or the one sent is not known (mistyped, or rotated out of Lethe:Tokens). The CLI knows
/// which, so its error says which.
/// </summary>
public class CliTokenRefusalTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    [Fact]
    public async Task a_command_without_a_token_says_none_was_given()
    {
        var run = await Host.CliWith(null, "", "policy", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: not authenticated: no token was given: give one with --token or LETHE_TOKEN (HTTP 401)", run.Err);
    }

    [Fact]
    public async Task a_command_with_an_unknown_token_says_the_control_plane_does_not_know_it()
    {
        var run = await Host.CliWith("not-a-known-token", "", "policy", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: not authenticated: the control plane does not know the token given (--token or LETHE_TOKEN) (HTTP 401)", run.Err);
        Assert.DoesNotContain("not-a-known-token", run.Err);
    }
}
