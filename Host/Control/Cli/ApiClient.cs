using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>The CLI's side of the HTTP API: JSON in, JSON out, problem details turned into <see cref="CliException"/>.</summary>
public sealed class ApiClient(HttpClient http, string server, string? token, long? ifMatch)
{
    public async Task<JsonNode?> Get(string path, CancellationToken ct) => await Send(HttpMethod.Get, path, null, ct);

    public async Task<JsonNode?> Post(string path, object body, CancellationToken ct) => await Send(HttpMethod.Post, path, body, ct);

    public async Task<byte[]> GetBytes(string path, CancellationToken ct)
    {
        using var response = await Exchange(HttpMethod.Get, path, null, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    private async Task<JsonNode?> Send(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await Exchange(method, path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

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
            request.Content = JsonContent.Create(body, options: JsonSerializerOptions.Web);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the control plane at {server}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout: System.CommandLine would take it for Ctrl-C and exit 1 without a word.
            throw new CliException($"the control plane at {server} did not answer within {http.Timeout.TotalSeconds:0} s" +
                (method == HttpMethod.Get ? "" : "; the change may still have been made: see `lethe history`"));
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            throw await Problem(response, ct);
        }
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

    private static async Task<CliException> Problem(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? problem = null;
        try
        {
            problem = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
        }
        var message = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "not authenticated: give a valid token with --token or LETHE_TOKEN",
            HttpStatusCode.Forbidden => "forbidden: your token's role may not do this",
            _ => problem?["detail"]?.GetValue<string>() ?? problem?["title"]?.GetValue<string>() ?? $"the control plane answered {status}",
        };
        var details = new List<string>();
        if (problem?["errors"] is JsonObject errors)
        {
            details.AddRange(errors.SelectMany(field => field.Value!.AsArray().Select(m => $"{field.Key}: {m}")));
            message = problem["title"]?.GetValue<string>() ?? message;
        }
        if (problem?["failures"] is JsonArray failures)
        {
            details.AddRange(failures.Select(f => f!["description"]!.GetValue<string>()));
            message = problem["title"]?.GetValue<string>() ?? message;
        }
        return new CliException($"{message} (HTTP {status})", details);
    }
}
