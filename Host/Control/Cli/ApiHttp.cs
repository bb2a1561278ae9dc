namespace Lethe.Control.Cli;

/// <summary>The HTTP client `lethe` reaches the control plane with (tests build theirs here too).</summary>
/// <remarks>
/// A redirect is not followed, as lethe-firewall follows none: .NET drops the token when it follows
/// one (so a valid token would read as 401) and re-sends a change answered 301 or 302 as a GET (405).
/// <see cref="ApiClient"/> names the redirect instead.
/// Connecting (TCP and TLS) gets a third of the wait, so that a connection or handshake that stalls
/// fails as never made, before the request went out, and not as an answer that did not come, which
/// would send the operator to look for a change that cannot have been made.
/// </remarks>
public static class ApiHttp
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <param name="wait">How long to wait for an answer, connecting included (tests shorten it); <see cref="Wait"/> when null.</param>
    public static HttpClient Create(TimeSpan? wait = null)
    {
        var answer = wait ?? Wait;
        return new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = ConnectWait(answer) }) { Timeout = answer };
    }

    public static TimeSpan ConnectWait(TimeSpan wait) => wait / 3;
}
