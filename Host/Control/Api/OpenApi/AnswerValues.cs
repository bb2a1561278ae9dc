using System.Text.Json.Nodes;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Marten;
using Marten;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// The values an answer's string field takes, which its type (a string) does not say: a client generated
/// from the document gets a set to switch on instead of text to compare, and OpenApiContractTests, holding
/// real answers to the document, fails on a value the server sends outside it. Each entry is taken from
/// the code that makes the value where it can be.
/// </summary>
public static class AnswerValues
{
    /// <summary>A policy test's proto (null: any of them), as it is answered in a policy, a diff and a failing publish's failures.</summary>
    public static readonly string?[] TestProtocols = [.. FieldValues.TestProtocols, null];

    /// <summary>The action that decided a failing test's traffic, as a failing publish's failures name it (got).</summary>
    public static readonly string[] Actions = [.. Enum.GetValues<RuleAction>().Select(Rule.Format)];

    private static readonly Dictionary<(Type, string), Func<IServiceProvider, string?[]>> Fields = new()
    {
        [(typeof(HistoryEntry), "event")] = services => LetheStoreOptions.EventNames(services.GetRequiredService<IDocumentStore>()),
        [(typeof(ClientDiff), "status")] = _ => [.. ClientDiff.Statuses],
        [(typeof(PolicyTest), "proto")] = _ => TestProtocols,
        [(typeof(PolicyTest), "expect")] = _ => FieldValues.TestExpectations,
        [(typeof(HealthStatus), "status")] = _ => [HealthStatus.Serving.Status],
        // A version sealed before the envelope was signed is still served as it was sealed.
        [(typeof(SealedSnapshot), "format")] = _ => [SealedSnapshot.UnsignedEnvelopeFormat, SealedSnapshot.CurrentFormat],
    };

    public static Task Describe(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Properties is null)
        {
            return Task.CompletedTask;
        }
        foreach (var (name, property) in schema.Properties)
        {
            if (property is OpenApiSchema field && Fields.TryGetValue((context.JsonTypeInfo.Type, name), out var values))
            {
                field.Enum = Listed(values(context.ApplicationServices));
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The values as the document lists them; null among them where the field may be null, as an enum without it refuses null whatever the type says.</summary>
    public static List<JsonNode> Listed(IEnumerable<string?> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v)!)];
}
