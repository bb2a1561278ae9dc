namespace Lethe.Control.Cli;

/// <summary>The HTTP client `lethe` reaches the control plane with (tests build theirs here too).</summary>
/// <remarks>
/// A redirect is not followed, as lethe-firewall follows none: .NET drops the token when it follows
/// one (so a valid token would read as 401) and re-sends a change answered 301 or 302 as a GET (405).
/// <see cref="ApiClient"/> names the redirect instead.
/// </remarks>
public static class ApiHttp
{
    public static HttpClient Create() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };
}
