using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Lethe.Control.Tests;

/// <summary>
/// The served OpenAPI document, read as a generated client reads it: which statuses, media types,
/// headers and body schemas an operation answers with. <see cref="Mismatches"/> holds a real answer
/// against it, with a check of the JSON Schema the document uses (types, required, properties,
/// additionalProperties, items, enum, pattern, date-time, $ref).
/// </summary>
internal sealed class OpenApiContract(JsonNode document)
{
    public JsonNode Document { get; } = document;

    public static async Task<OpenApiContract> Load(HttpClient viewer)
    {
        using var response = await viewer.GetAsync("/openapi/v1.json");
        Assert.True(response.IsSuccessStatusCode, $"the document: {(int)response.StatusCode}");
        return new OpenApiContract(await response.Json());
    }

    public JsonNode Operation(HttpMethod method, string template) =>
        Document["paths"]?[template]?[method.Method.ToLowerInvariant()] ?? throw new InvalidOperationException($"the document has no {method} {template}");

    /// <summary>Every operation in the document: its method, path template and body.</summary>
    public IEnumerable<(string Method, string Path, JsonNode Operation)> Operations() =>
        Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(o => o.Key is "get" or "post" or "put" or "delete" or "patch")
            .Select(o => (o.Key.ToUpperInvariant(), p.Key, o.Value!)));

    /// <summary>What a client generated from the document would trip on in this answer; empty when it matches.</summary>
    public async Task<string[]> Mismatches(HttpMethod method, string template, HttpResponseMessage response)
    {
        var where = $"{method} {template} {(int)response.StatusCode}";
        var documented = Operation(method, template)["responses"]?[((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)];
        if (documented is null)
        {
            return [$"{where}: status not documented"];
        }
        var errors = new List<string>();
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0)
        {
            return [.. errors];
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        var content = documented["content"]?[mediaType];
        if (content is null)
        {
            errors.Add($"{where}: body of {mediaType} not documented (documented: {string.Join(", ", documented["content"]?.AsObject().Select(c => c.Key) ?? [])})");
            return [.. errors];
        }
        if (content["schema"] is { } schema)
        {
            Check(schema, JsonNode.Parse(text), "$", errors, where);
        }
        return [.. errors];
    }

    /// <summary>The headers of this answer a script reads (the version for If-Match, where to wait, where it went, the next page) that its documented response does not name.</summary>
    public string[] UndocumentedHeaders(HttpMethod method, string template, HttpResponseMessage response)
    {
        var documented = Operation(method, template)["responses"]?[((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)];
        return new[] { "ETag", "Location", "Retry-After", "X-Correlation-Id", "Link" }
            .Where(h => response.Headers.Contains(h) && documented?["headers"]?[h] is null)
            .Select(h => $"{method} {template} {(int)response.StatusCode}: header {h} sent but not documented")
            .ToArray();
    }

    /// <summary>Why the operation's documented request body refuses this one; empty when the document takes it.</summary>
    public string[] RequestMismatches(HttpMethod method, string template, object body)
    {
        var schema = Operation(method, template)["requestBody"]?["content"]?["application/json"]?["schema"]
            ?? throw new InvalidOperationException($"{method} {template} documents no JSON body");
        var errors = new List<string>();
        Check(schema, JsonSerializer.SerializeToNode(body, JsonSerializerOptions.Web), "$", errors, $"{method} {template} request");
        return [.. errors];
    }

    private JsonNode Resolve(JsonNode schema)
    {
        while (schema["$ref"] is JsonValue reference)
        {
            var name = reference.GetValue<string>().Split('/')[^1];
            schema = Document["components"]?["schemas"]?[name] ?? throw new InvalidOperationException($"dangling $ref {name}");
        }
        return schema;
    }

    private void Check(JsonNode schema, JsonNode? value, string at, List<string> errors, string where)
    {
        schema = Resolve(schema);
        foreach (var key in new[] { "anyOf", "oneOf" })
        {
            if (schema[key] is JsonArray choices && !choices.Any(c => Fits(c!, value)))
            {
                errors.Add($"{where}: {at} fits none of {key}");
                return;
            }
        }
        if (schema["allOf"] is JsonArray all)
        {
            foreach (var part in all)
            {
                Check(part!, value, at, errors, where);
            }
        }
        var kind = KindOf(value);
        if (schema["type"] is { } type)
        {
            var types = type is JsonArray many ? many.Select(t => t!.GetValue<string>()).ToArray() : [type.GetValue<string>()];
            if (!types.Contains(kind) && !(kind == "integer" && types.Contains("number")))
            {
                errors.Add($"{where}: {at} is {kind}, documented as {string.Join("|", types)}");
                return;
            }
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{where}: {at} = {value?.ToJsonString()} is not among the documented values {allowed.ToJsonString()}");
        }
        if (kind is "integer" or "number")
        {
            var number = value!.GetValue<double>();
            if (schema["minimum"] is JsonValue minimum && number < minimum.GetValue<double>())
            {
                errors.Add($"{where}: {at} = {number} is below the documented minimum {minimum}");
            }
            if (schema["maximum"] is JsonValue maximum && number > maximum.GetValue<double>())
            {
                errors.Add($"{where}: {at} = {number} is above the documented maximum {maximum}");
            }
        }
        if (kind == "string")
        {
            var text = value!.GetValue<string>();
            if (schema["pattern"] is JsonValue pattern && !Regex.IsMatch(text, pattern.GetValue<string>()))
            {
                errors.Add($"{where}: {at} = '{text}' does not match {pattern}");
            }
            if (schema["format"]?.GetValue<string>() == "date-time" && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                errors.Add($"{where}: {at} = '{text}' is no date-time");
            }
        }
        if (kind == "object")
        {
            var obj = value!.AsObject();
            foreach (var name in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add($"{where}: {at}.{name} is required but missing");
                }
            }
            var properties = schema["properties"]?.AsObject();
            foreach (var (name, member) in obj)
            {
                if (properties?[name] is { } property)
                {
                    Check(property, member, $"{at}.{name}", errors, where);
                }
                else if (schema["additionalProperties"] is JsonValue open && open.GetValueKind() == JsonValueKind.False)
                {
                    errors.Add($"{where}: {at}.{name} is not a documented property (additionalProperties: false)");
                }
                else if (schema["additionalProperties"] is JsonObject extra)
                {
                    Check(extra, member, $"{at}.{name}", errors, where);
                }
            }
        }
        if (kind == "array" && schema["items"] is { } items)
        {
            var i = 0;
            foreach (var item in value!.AsArray())
            {
                Check(items, item, $"{at}[{i++}]", errors, where);
            }
        }
    }

    private bool Fits(JsonNode schema, JsonNode? value)
    {
        var errors = new List<string>();
        Check(schema, value, "$", errors, "");
        return errors.Count == 0;
    }

    private static string KindOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => value.ToJsonString().IndexOfAny(['.', 'e', 'E']) < 0 ? "integer" : "number",
            _ => "null",
        },
    };
}
