using Lethe.Control.Server;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// Problem details carry members of their own beside the five the type declares: every one a
/// <c>traceId</c>, a refused publish its <c>failures</c>, a 409 about versions <c>currentVersion</c>. The serializer's refusal of unknown
/// members (which is right for request bodies) makes the exporter close every schema, so a client
/// that checks answers against the document refused each problem the server sends.
/// </summary>
public static class ProblemSchemas
{
    public static Task Open(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (!typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
        {
            return Task.CompletedTask;
        }
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties = null;
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace, for the control plane's log." };
        if (context.JsonTypeInfo.Type == typeof(ProblemDetails))
        {
            schema.Properties["failures"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "On a 422 from publish whose policy tests failed: one entry per failing test, naming the rule that decided it.",
                Items = Failure(),
            };
            schema.Properties[ProblemMapping.CurrentVersionMember] = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Format = "int64",
                Minimum = "1",
                Description = "On a 409 about the policy's version (an If-Match it had moved past, or a write lost to another request's): " +
                    "the version the policy is at now, the one to send as If-Match once the change is decided again on it. Absent when the refusal did not read it.",
            };
        }
        return Task.CompletedTask;
    }

    /// <summary>A failing policy test as ProblemMapping writes it: what the test checks, what it expected, and the rule that decided otherwise.</summary>
    private static OpenApiSchema Failure()
    {
        static OpenApiSchema Text(string description, JsonSchemaType type = JsonSchemaType.String) => new() { Type = type, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["test"] = Text("The test's id."),
                ["client"] = Text("The client whose traffic it checks."),
                ["to"] = Text("The address it sends to."),
                ["proto"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String | JsonSchemaType.Null,
                    Enum = AnswerValues.Listed(AnswerValues.TestProtocols),
                    Description = "Its protocol; null for a test that names none.",
                },
                ["port"] = Text("Its port, for tcp and udp.", JsonSchemaType.Integer | JsonSchemaType.Null),
                ["expected"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = AnswerValues.Listed(FieldValues.TestExpectations), Description = "What it expects." },
                ["got"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = AnswerValues.Listed(AnswerValues.Actions), Description = "What the draft does (a reject fails a test expecting accept)." },
                ["rule"] = Text("The id of the rule that decided it; null when none did (no rule matched, or the test could not run).", JsonSchemaType.String | JsonSchemaType.Null),
                ["reason"] = Text("Why it was decided so."),
                ["description"] = Text("The failure in words, as the detail gives it."),
            },
        };
    }
}
