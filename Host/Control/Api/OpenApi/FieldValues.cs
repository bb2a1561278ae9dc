using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// The values the application's validators take for a request field, which the records' types
/// (a string, an int) do not say: without them the document took a test's "expect": "maybe" or a
/// window of 0 seconds, and a generated client offered what the server then refused with 400.
/// Keep each entry as its validator has it.
/// </summary>
public static class FieldValues
{
    private sealed record Values(string[]? OneOf = null, bool OrNull = false, long? Minimum = null, long? Maximum = null);

    /// <summary>A policy test's proto, when it names one, and what it expects: what it is added with and what it answers with.</summary>
    public static readonly string[] TestProtocols = ["tcp", "udp", "icmp"], TestExpectations = ["accept", "drop"];

    private static readonly Dictionary<(Type, string), Values> Fields = new()
    {
        [(typeof(AddPolicyTestRequest), "proto")] = new(OneOf: TestProtocols, OrNull: true),
        [(typeof(AddPolicyTestRequest), "expect")] = new(OneOf: TestExpectations),
        [(typeof(AddPolicyTestRequest), "port")] = new(Minimum: 0, Maximum: 65535),
        [(typeof(AddPolicyTestRequest), "icmpType")] = new(Minimum: 0, Maximum: 255),
        // 1 s to 1 day, as README and the publish validator say.
        [(typeof(PublishRequest), "confirmWithinSeconds")] = new(Minimum: 1, Maximum: 86400),
        [(typeof(AddRuleRequest), "position")] = new(Minimum: 0),
        [(typeof(MoveRuleRequest), "position")] = new(Minimum: 0),
        [(typeof(RollBackRequest), "toVersion")] = new(Minimum: 1),
        [(typeof(ConfirmRequest), "version")] = new(Minimum: 1),
    };

    public static Task Describe(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Properties is null)
        {
            return Task.CompletedTask;
        }
        foreach (var (name, property) in schema.Properties)
        {
            if (property is not OpenApiSchema field || !Fields.TryGetValue((context.JsonTypeInfo.Type, name), out var values))
            {
                continue;
            }
            if (values.OneOf is { } oneOf)
            {
                // An optional field may be null, and an enum that leaves null out refuses it whatever the type says.
                field.Enum = [.. oneOf.Select(v => (JsonNode)JsonValue.Create(v)), .. values.OrNull ? new JsonNode[] { null! } : []];
            }
            if (values.Minimum is { } minimum)
            {
                field.Minimum = minimum.ToString(CultureInfo.InvariantCulture);
            }
            if (values.Maximum is { } maximum)
            {
                field.Maximum = maximum.ToString(CultureInfo.InvariantCulture);
            }
        }
        return Task.CompletedTask;
    }
}
