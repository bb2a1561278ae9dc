using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// A request body's required field is refused when sent as null too (400, named), but the records
/// type some as nullable so that a missing one reaches the validator instead of binding as 0 (a
/// move to the top, say). The document keeps null out of their types, so a generated client does
/// not offer a value the server refuses.
/// </summary>
public static class RequiredFields
{
    public static Task NeverNull(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        if (type.Namespace != typeof(ReasonRequest).Namespace || !type.Name.EndsWith("Request", StringComparison.Ordinal)
            || schema.Required is null || schema.Properties is null)
        {
            return Task.CompletedTask;
        }
        foreach (var name in schema.Required)
        {
            if (schema.Properties.TryGetValue(name, out var property) && property is OpenApiSchema { Type: { } types } field)
            {
                field.Type = types & ~JsonSchemaType.Null;
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// A query parameter bound as optional, so that a missing one is refused by the validator (400,
    /// naming it) rather than by ASP.NET, but which the server requires all the same.
    /// </summary>
    public static TBuilder RequiresQuery<TBuilder>(this TBuilder builder, string name) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == name && p.In == ParameterLocation.Query) is OpenApiParameter parameter)
            {
                parameter.Required = true;
            }
            return Task.CompletedTask;
        });
}
