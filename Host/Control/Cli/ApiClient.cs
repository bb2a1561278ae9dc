using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>The CLI's side of the HTTP API: JSON in, JSON out, problem details turned into <see cref="CliException"/>.</summary>
/// <param name="options">The options of the command that sends the request, which name the fields the server refuses.</param>
public sealed class ApiClient(HttpClient http, string server, string? token, long? ifMatch, IReadOnlySet<string> options)
{
    /// <summary>A list of objects the control plane answers with (policies, history, snapshots, tests, a diff).</summary>
    public Task<JsonArray> GetArray(string path, CancellationToken ct) => GetArray(path, _ => null, ct);

    /// <param name="entry">What is wrong inside an entry, where its printer indexes (see <see cref="AnswerShape"/>), or null.</param>
    public async Task<JsonArray> GetArray(string path, Func<JsonObject, string?> entry, CancellationToken ct) =>
        (JsonArray)await Send(HttpMethod.Get, path, null,
            node => AnswerShape.List(node, "JSON", ofObjects: true) ?? AnswerShape.Entries(node.AsArray(), entry), ct);

    /// <summary>
    /// A page of a list (the history): its entries, and the <c>before</c> of the next older page that its
    /// <c>Link: &lt;...&gt;; rel="next"</c> names, null when it names none.
    /// </summary>
    public async Task<(JsonArray Entries, long? Before)> GetPage(string path, Func<JsonObject, string?> entry, CancellationToken ct)
    {
        long? before = null;
        var entries = (JsonArray)await Send(HttpMethod.Get, path, null,
            node => AnswerShape.List(node, "JSON", ofObjects: true) ?? AnswerShape.Entries(node.AsArray(), entry), ct,
            response => before = NextBefore(response));
        return (entries, before);
    }

    /// <summary>The <c>before</c> query parameter of the answer's rel="next" link, or null.</summary>
    private static long? NextBefore(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }
        foreach (var link in values.SelectMany(v => v.Split(',')))
        {
            var open = link.IndexOf('<');
            var close = link.IndexOf('>');
            if (open < 0 || close < open || !link[(close + 1)..].Split(';').Any(p => p.Trim().Replace("\"", "") is "rel=next"))
            {
                continue;
            }
            var target = link[(open + 1)..close];
            var query = target.IndexOf('?') is var q and >= 0 ? target[q..] : "";
            if (Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query).TryGetValue("before", out var before)
                && long.TryParse(before.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
            {
                return sequence;
            }
        }
        return null;
    }

    /// <summary>An object the control plane answers with, holding each of <paramref name="fields"/>.</summary>
    public Task<JsonObject> GetObject(string path, string[] fields, CancellationToken ct) => GetObject(path, fields, _ => null, ct);

    /// <param name="shape">What is wrong inside the object, where its printer indexes, or null.</param>
    public async Task<JsonObject> GetObject(string path, string[] fields, Func<JsonObject, string?> shape, CancellationToken ct) =>
        (await GetObjectWithDate(path, fields, shape, ct)).Answer;

    /// <summary>
    /// As <see cref="GetObject(string, string[], Func{JsonObject, string?}, CancellationToken)"/>, with the
    /// time the server answered (its Date header, to the second), null when it sent none that reads.
    /// </summary>
    public async Task<(JsonObject Answer, DateTimeOffset? Date)> GetObjectWithDate(string path, string[] fields, Func<JsonObject, string?> shape,
        CancellationToken ct)
    {
        DateTimeOffset? date = null;
        var answer = (JsonObject)await Send(HttpMethod.Get, path, null, node => ObjectProblem(node, fields) ?? shape(node.AsObject()), ct,
            response => date = response.Headers.Date);
        return (answer, date);
    }

    /// <summary>A change or publish, answered with an object holding each of <paramref name="fields"/>.</summary>
    public Task<JsonObject> Post(string path, object body, string[] fields, CancellationToken ct) => Post(path, body, fields, _ => null, ct);

    /// <param name="shape">What is wrong inside the answer, where its printer indexes, or null.</param>
    public async Task<JsonObject> Post(string path, object body, string[] fields, Func<JsonObject, string?> shape, CancellationToken ct) =>
        (JsonObject)await Send(HttpMethod.Post, path, body, node => ObjectProblem(node, fields) ?? shape(node.AsObject()), ct);

    /// <summary>
    /// Text as it is, in UTF-8, with only what JSON must escape escaped: the default writes \uXXXX for every
    /// character outside ASCII, six bytes for a letter that takes two or three.
    /// </summary>
    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerOptions.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string? ObjectProblem(JsonNode node, string[] fields)
    {
        if (node is not JsonObject answer)
        {
            return "JSON that is not an object";
        }
        foreach (var field in fields)
        {
            if (answer[field] is null)
            {
                return $"a JSON object without \"{field}\"";
            }
        }
        return null;
    }

    /// <param name="problem">What is wrong with the answer for this request (a list where an object was due, a missing field), or null.</param>
    /// <param name="answered">Reads what else the answer says (a header), before it is disposed.</param>
    private async Task<JsonNode> Send(HttpMethod method, string path, object? body, Func<JsonNode, string?> problem, CancellationToken ct,
        Action<HttpResponseMessage>? answered = null)
    {
        using var response = await Exchange(method, path, body, ct);
        answered?.Invoke(response);
        var text = await BodyText(response, ct);
        // Anything but the answer this request is due is another program at --server (a proxy's login
        // page, another service, a JSON API of its own), named as such: not a stack trace, and not a
        // blank "published version" with exit 0.
        JsonNode? node = null;
        try
        {
            node = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
        }
        if (node is null)
        {
            throw NotLethe(response, path, text.Length == 0 ? "an empty body" : "a body that is not JSON");
        }
        return problem(node) is { } what ? throw NotLethe(response, path, what) : node;
    }

    /// <summary>A signed snapshot file from the snapshot endpoint, checked to be one before anything uses it.</summary>
    public async Task<(byte[] Bytes, Domain.Snapshots.SealedSnapshot Snapshot)> GetSnapshotFile(string path, CancellationToken ct)
    {
        using var response = await Exchange(HttpMethod.Get, path, null, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        Domain.Snapshots.SealedSnapshot? snapshot;
        try
        {
            snapshot = Domain.Snapshots.SnapshotCodec.FromFile(bytes);
        }
        catch (JsonException)
        {
            snapshot = null;
        }
        // Any JSON object decodes, its missing fields left empty: another program's answer is not a snapshot to save.
        return snapshot is { Format.Length: > 0, Policy.Length: > 0, Version: > 0, ContentSha256.Length: > 0, KeyId.Length: > 0, Signature.Length: > 0, Content: not null }
            ? (bytes, snapshot)
            : throw NotLethe(response, path, "a body that is not a signed snapshot file");
    }

    private CliException NotLethe(HttpResponseMessage response, string path, string what) =>
        new($"the server at {server} did not answer as a Lethe control plane: HTTP {(int)response.StatusCode} to {path} with {what}" +
            (response.Content.Headers.ContentType is { } type ? $" ({type.MediaType})" : ""));

    private async Task<HttpResponseMessage> Exchange(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(new Uri(server.TrimEnd('/') + "/"), path.TrimStart('/')));
        if (!string.IsNullOrEmpty(token))
        {
            if (!IsHeaderSafe(token))
            {
                throw new CliException("the token (--token or LETHE_TOKEN) holds a line break, a control or a non-ASCII character; " +
                    "give it as one line (a file saved with Windows line endings leaves a carriage return at its end)");
            }
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (ifMatch is { } version && method != HttpMethod.Get)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        }
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: BodyOptions);
        }
        HttpResponseMessage response;
        var started = Stopwatch.GetTimestamp();
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (AnswerLost(e))
        {
            // The request went out and something answered, or hung up, after taking it: unlike a
            // refused connection, a change may have been made, and sending it again would make it twice.
            throw new CliException($"the control plane at {server} was reached but no whole HTTP answer came back: {Lethe.Hosts.FailureText.Of(e)}" + MayHaveChanged(method));
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the control plane at {server}: {Lethe.Hosts.FailureText.Of(e)}");
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested && e.InnerException is TimeoutException
                                             && Stopwatch.GetElapsedTime(started) < http.Timeout * 0.9)
        {
            // The handler's connect timeout (ApiHttp), at a third of HttpClient's own: TCP or TLS never
            // set up, so the request never went out. Both throw alike; HttpClient's cannot come before its
            // deadline (less the few milliseconds a timer may fire early), so one well before it is the
            // connect timeout, however late a loaded machine ran that timer.
            throw new CliException($"cannot reach the control plane at {server}: no connection (TCP and TLS) within {ApiHttp.ConnectWait(http.Timeout).TotalSeconds:0} s");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout: System.CommandLine would take it for Ctrl-C and exit 1 without a word.
            throw new CliException($"the control plane at {server} did not answer within {http.Timeout.TotalSeconds:0} s" + MayHaveChanged(method));
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                throw Redirect(response, request.RequestUri!);
            }
            throw await Problem(response, ct);
        }
    }

    /// <summary>
    /// Whether the request went out before it failed: anything but a connection never made (a name
    /// that does not resolve, a refused connection, TLS or a proxy failing). An answer that ended
    /// early, was reset or was not HTTP came after the server had the request.
    /// </summary>
    private static bool AnswerLost(HttpRequestException e) =>
        e.HttpRequestError is not (HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
            or HttpRequestError.UserAuthenticationError or HttpRequestError.VersionNegotiationError);

    private static string MayHaveChanged(HttpMethod method) =>
        method == HttpMethod.Get ? "" : "; the change may still have been made: see `lethe history`";

    /// <summary>A 3xx, named with where it points: the client follows none (see <see cref="ApiHttp"/>).</summary>
    private CliException Redirect(HttpResponseMessage response, Uri asked)
    {
        var reason = response.ReasonPhrase is { Length: > 0 } phrase ? $" {phrase}" : "";
        var to = response.Headers.Location is { } location ? $" to {new Uri(asked, location)}" : "";
        return new($"{server} answered {(int)response.StatusCode}{reason}{to} (redirects are not followed: give the final URL in --server)");
    }

    private static bool IsHeaderSafe(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    private async Task<CliException> Problem(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var text = await BodyText(response, ct);
        JsonObject? problem = null;
        try
        {
            // A proxy in front may answer JSON that is no problem details (a bare string, an array).
            problem = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        }
        catch (JsonException)
        {
        }
        var message = response.StatusCode switch
        {
            // Said from what was sent, which the CLI knows whatever server answers: the two are fixed differently.
            HttpStatusCode.Unauthorized => string.IsNullOrEmpty(token)
                ? "not authenticated: no token was given: give one with --token or LETHE_TOKEN"
                : "not authenticated: the control plane does not know the token given (--token or LETHE_TOKEN)",
            // Lethe's detail names the token's role and those the request takes; another server's may say less.
            HttpStatusCode.Forbidden => "forbidden: " + (Text(problem?["detail"]) ?? "your token's role may not do this"),
            HttpStatusCode.RequestEntityTooLarge => $"the request is larger than the server at {server} takes: a Lethe control plane takes up to " +
                $"{Api.ImportRulesRequest.MaxBodyBytes >> 20} MiB for a rule import, what any rules file of 16 MiB makes (a proxy in front of it may take less)",
            _ => Text(problem?["detail"]) ?? Text(problem?["title"]) ?? $"the control plane answered {status}",
        };
        var details = new List<string>();
        if (problem?["errors"] is JsonObject errors)
        {
            foreach (var (field, messages) in errors)
            {
                if (messages is JsonArray list)
                {
                    details.AddRange(list.Select(m => Capped($"{CliOptionNames.Of(field, options)}: {Text(m) ?? m?.ToJsonString()}")));
                }
            }
            message = Text(problem["title"]) ?? message;
        }
        if (problem?["failures"] is JsonArray failures)
        {
            foreach (var failure in failures)
            {
                if (Text(failure?["description"]) is { } description)
                {
                    details.Add(Capped(description));
                }
            }
            message = Text(problem["title"]) ?? message;
        }
        if (details.Count > MaxDetailLines)
        {
            var left = details.Count - MaxDetailLines;
            details.RemoveRange(MaxDetailLines, left);
            details.Add($"... and {left:N0} more line(s) of the refusal, not shown");
        }
        return new CliException($"{Capped(message)} (HTTP {status})", details);
    }

    /// <summary>
    /// Most lines of a refusal shown: a Lethe control plane sends at most about 1,100 (a client's 1,024 addresses, an import's
    /// first 100 lines); another server may send millions, which would bury the message in the terminal.
    /// </summary>
    private const int MaxDetailLines = 2_000;

    /// <summary>Longest line of a refusal shown whole: Lethe's own stay far below it (each value they quote is cut at 64 characters).</summary>
    private const int MaxLine = 1_000;

    /// <summary>
    /// A line of the server's refusal, cut to its start and length when longer than <see cref="MaxLine"/>: another server
    /// (or a proxy) may answer a megabyte of detail, which would otherwise fill the terminal.
    /// </summary>
    private static string Capped(string line) => Lethe.Domain.QuotedText.Cut(line, MaxLine);

    /// <summary>
    /// The body as UTF-8, which is all the control plane sends, whatever charset the answer claims:
    /// ReadAsStringAsync throws on one .NET cannot decode (a proxy's windows-1252 page, a made-up name).
    /// Bytes that are not UTF-8 become U+FFFD, so another program's answer is still named as such.
    /// </summary>
    private static async Task<string> BodyText(HttpResponseMessage response, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        return Encoding.UTF8.GetString(bytes, start, bytes.Length - start);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
