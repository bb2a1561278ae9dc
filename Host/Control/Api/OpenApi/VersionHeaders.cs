using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// The headers a script reads and sends around a policy's version: If-Match on a change, the new
/// version as ETag in its answer (and the current one in a 409 about versions), Location on a create, If-None-Match and ETag on a snapshot, and
/// Retry-After on a 503. ASP.NET infers none of them from the handlers, which set them by hand.
/// </summary>
public static class VersionHeaders
{
    /// <summary>A change decided on the version its caller read (409 when it moved on, naming the one it is at), answering with the new one.</summary>
    public static TBuilder ChangesWithIfMatch<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Parameter(operation, "If-Match", "The policy version (ETag) the change was decided on, such as \"7\": one version, not a list. " +
                "The change is refused (409, nothing applied) when the policy has moved on since.");
            Header(operation, "200", "ETag", "The policy's version after the change, for the next If-Match.");
            Header(operation, "409", "ETag", "On a refusal about the policy's version, the version it is at now (as currentVersion in the body): " +
                "the If-Match for the change decided again on it. Absent from other 409s.");
            return Task.CompletedTask;
        });

    /// <summary>An answer carrying the policy's version as ETag (and, for 201, where the new policy is).</summary>
    public static TBuilder AnswersWithVersion<TBuilder>(this TBuilder builder, string status) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Header(operation, status, "ETag", "The policy's version, for If-Match on a change.");
            if (status == "201")
            {
                Header(operation, status, "Location", "The new policy's path.");
            }
            return Task.CompletedTask;
        });

    /// <summary>A snapshot: its ETag, and a 304 when If-None-Match already names it.</summary>
    public static TBuilder AnswersWithSnapshotTag<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Parameter(operation, "If-None-Match", "The ETag of the snapshot held: 304, with no body, while it is still the one named.");
            Header(operation, "200", "ETag", "The version and hash of the snapshot, for If-None-Match.");
            Header(operation, "304", "ETag", "The version and hash of the snapshot, for If-None-Match.");
            return Task.CompletedTask;
        });

    /// <summary>Every 503 asks the caller to wait before trying again.</summary>
    public static TBuilder AnswersBusyWithRetryAfter<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Header(operation, "503", "Retry-After", "Seconds to wait before trying again.");
            return Task.CompletedTask;
        });

    /// <summary>An optional header the operation takes, named once however many conventions add it.</summary>
    internal static void Parameter(OpenApiOperation operation, string name, string description)
    {
        operation.Parameters ??= [];
        if (operation.Parameters.Any(p => p.Name == name && p.In == ParameterLocation.Header))
        {
            return;
        }
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = false,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
    }

    /// <summary>A header the operation's answer with this status carries; nothing when that status is not listed.</summary>
    internal static void Header(OpenApiOperation operation, string status, string name, string description)
    {
        if (operation.Responses?.GetValueOrDefault(status) is not OpenApiResponse response)
        {
            return;
        }
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
    }
}
