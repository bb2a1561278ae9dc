namespace Lethe.Firewall;

/// <summary>How boot, verify, replay, nft and the watch fetch a snapshot over HTTP.</summary>
/// <remarks>
/// What answers is not trusted until the signature verifies, so it may not cost more than a
/// snapshot can: the body is capped (a policy of a thousand rules is about 120 KiB), and a redirect is
/// not followed (it could name another host or scheme); the control plane never sends one.
/// </remarks>
public static class SnapshotHttp
{
    public const int MaxBytes = Lethe.Domain.Snapshots.SnapshotLimits.MaxFileBytes;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static HttpClient Create() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout, MaxResponseContentBufferSize = MaxBytes };

    /// <summary>A GET of <paramref name="url"/>, with the bearer token when there is one.</summary>
    /// <exception cref="FlagException">A URL without a host, or a token that cannot be a header value.</exception>
    public static HttpRequestMessage Get(string url, string? token)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw new FlagException($"--snapshot: '{url}' is not a URL with a host (such as http://127.0.0.1:5080/policies/home/snapshots/latest)");
        }
        // A token read from a file written on Windows ends in CR, which no header may hold.
        token = token?.Trim();
        if (token is not null && token.Any(char.IsControl))
        {
            throw new FlagException("--token (or LETHE_TOKEN): holds a control character (a line break?); give the token alone");
        }
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    /// <summary>
    /// Why a fetch failed, in the user's terms: past the cap the client says only that its buffer is full,
    /// which read as the server being unreachable.
    /// </summary>
    public static string Describe(string url, HttpRequestException e) => e.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded
        ? $"{Lethe.Hosts.ArgvText.Word(url)} answered with more than any snapshot holds (over {MaxBytes / (1024 * 1024)} MiB, or headers over 64 KiB)"
        : $"cannot fetch {Lethe.Hosts.ArgvText.Word(url)}: {Lethe.Hosts.FailureText.Of(e)}";

    /// <summary>A 3xx answer, named as such: redirects are not followed.</summary>
    /// <remarks>
    /// The reason phrase and Location are the answering server's words, which reach the log and the terminal
    /// of whoever reads it: an ESC there is shown, not obeyed, and one of 64 KiB shows its start and length, so
    /// the refusal stays one line a person can read.
    /// </remarks>
    public static string Describe(HttpResponseMessage response) => (int)response.StatusCode switch
    {
        >= 300 and < 400 => $"{(int)response.StatusCode} {Lethe.Domain.QuotedText.Safe(response.ReasonPhrase ?? "")} to " +
            $"{Lethe.Domain.QuotedText.Safe(response.Headers.Location?.ToString() ?? "")} (redirects are not followed: give the final URL)",
        // Told apart by what was sent: a missing token and a wrong one are fixed differently.
        401 when response.RequestMessage?.Headers.Authorization is not null =>
            "401 Unauthorized (the control plane does not know the token given: --token or LETHE_TOKEN)",
        401 => "401 Unauthorized (give a viewer token: --token or LETHE_TOKEN)",
        403 => "403 Forbidden (the token's role may not read snapshots)",
        _ => $"{(int)response.StatusCode} {Lethe.Domain.QuotedText.Safe(response.ReasonPhrase ?? "")}",
    };

    /// <summary>
    /// As <see cref="Describe(HttpResponseMessage)"/>, followed by the detail of the problem the server
    /// sent with a refusal other than 401 and 403 (worded above): Lethe's 404 says whether the policy is
    /// missing, has no published version yet, or lacks the version asked for, which a bare 404 leaves
    /// the reader to guess.
    /// </summary>
    /// <remarks>
    /// The server is not trusted yet: its detail is escaped and cut as any value quoted from it is. The body
    /// is already capped by the client (<see cref="MaxBytes"/>); one that is not problem details adds nothing.
    /// </remarks>
    public static async Task<string> Describe(HttpResponseMessage response, CancellationToken ct)
    {
        var said = Describe(response);
        if ((int)response.StatusCode is < 400 or 401 or 403)
        {
            return said;
        }
        return await Detail(response, ct) is { } detail ? $"{said}: {Lethe.Domain.QuotedText.Safe(detail)}" : said;
    }

    private static async Task<string?> Detail(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentType?.MediaType is not ("application/problem+json" or "application/json"))
        {
            return null;
        }
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            return System.Text.Json.Nodes.JsonNode.Parse(body) is System.Text.Json.Nodes.JsonObject problem
                && problem["detail"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var detail)
                && detail.Length > 0
                ? detail
                : null;
        }
        // ArgumentException: a field given twice, which JsonObject refuses when read.
        catch (Exception e) when (e is System.Text.Json.JsonException or HttpRequestException or IOException or ArgumentException or InvalidOperationException)
        {
            // Cut short, not JSON or not an object of one detail: the status line alone says what there is to say.
            return null;
        }
    }
}
