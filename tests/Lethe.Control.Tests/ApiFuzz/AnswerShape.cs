using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>
/// What every answer must look like, whatever was sent: never a 5xx; a 4xx is problem details with a title
/// and a detail; a 400 has an errors object, naming the field at fault when one is.
/// </summary>
internal static class AnswerShape
{
    /// <returns>Null when the answer is as it must be, else what is wrong with it.</returns>
    public static string? Problem(HttpStatusCode status, string? mediaType, string text, string? field)
    {
        var code = (int)status;
        if (code >= 500)
        {
            return $"answered {code}: {Cut(text)}";
        }
        if (code < 400)
        {
            return code is >= 200 and < 300 && mediaType == "application/json" && !Parses(text) ? $"answered {code} with JSON that does not parse: {Cut(text)}" : null;
        }
        if (mediaType != "application/problem+json")
        {
            return $"answered {code} as {mediaType ?? "(no Content-Type)"}, not problem details: {Cut(text)}";
        }
        JsonNode? problem;
        try
        {
            problem = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return $"answered {code} with problem details that do not parse: {Cut(text)}";
        }
        if (problem is not JsonObject o || o["status"]?.GetValue<int>() != code)
        {
            return $"answered {code} with problem details whose status is not {code}: {Cut(text)}";
        }
        if (o["title"] is not JsonValue title || title.GetValue<string>().Length == 0 || o["detail"] is not JsonValue detail || detail.GetValue<string>().Length == 0)
        {
            return $"answered {code} with problem details without a title or detail: {Cut(text)}";
        }
        // The serializer's and ASP.NET's own words name the server's types ("System.Int32", "Lethe.Control.Api.AddRuleRequest"), which mean nothing to a caller.
        if (text.Contains("System.", StringComparison.Ordinal) || text.Contains("Lethe.", StringComparison.Ordinal) || text.Contains("Microsoft.", StringComparison.Ordinal))
        {
            return $"answered {code} naming a server type: {Cut(text)}";
        }
        if (code != 400)
        {
            return null;
        }
        if (o["errors"] is not JsonObject errors || errors.Count == 0)
        {
            return $"answered 400 without an errors object: {Cut(text)}";
        }
        if (field is not null && !errors.Any(e => Names(e.Key, field)))
        {
            return $"answered 400 without naming '{field}' in errors: {Cut(text)}";
        }
        return null;
    }

    /// <summary>
    /// Every answer carries an X-Correlation-Id, the caller's when it was 1 to 64 visible ASCII characters;
    /// every refusal forbids caches to keep it.
    /// </summary>
    public static string? Headers(HttpResponseMessage response, string? sentId)
    {
        var id = response.Headers.TryGetValues("X-Correlation-Id", out var ids) ? string.Join(",", ids) : null;
        if (id is null || id.Length == 0)
        {
            return "answered without an X-Correlation-Id";
        }
        var keep = sentId is { Length: > 0 and <= 64 } && sentId.All(c => c is >= '!' and <= '~');
        if (keep && id != sentId)
        {
            return $"answered X-Correlation-Id {id}, not the {sentId} sent";
        }
        if (!keep && id == sentId)
        {
            return $"echoed the X-Correlation-Id '{sentId}', which is not 1 to 64 visible characters";
        }
        var code = (int)response.StatusCode;
        if (code >= 400 && response.Headers.CacheControl is not { NoStore: true, NoCache: true })
        {
            return $"answered {code} without Cache-Control: no-cache,no-store ({response.Headers.CacheControl})";
        }
        return null;
    }

    /// <summary>A key names the field as itself, one of its parts (rule.dstports, lines[1]) or, for an import, by line (line 2.action).</summary>
    /// <remarks>A field whose name is too long to quote whole is named under body, its start quoted in the message.</remarks>
    private static bool Names(string key, string field) =>
        key.StartsWith(field, StringComparison.OrdinalIgnoreCase) || (field == "lines" && key.StartsWith("line ", StringComparison.Ordinal))
        || (field.Length > Domain.QuotedText.MaxShown && key == "body");

    private static bool Parses(string text)
    {
        try
        {
            JsonNode.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Cut(string text) => text.Length > 600 ? text[..600] + "..." : text;
}
