using Lethe.Control.Server;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// Every request may name its correlation id, which the history records with the change it made,
/// and every answer, refusals included, carries the id kept. The middleware sets both by hand, so
/// ASP.NET infers neither, and a generated client could not send or read the id the history shows.
/// </summary>
public static class CorrelationHeader
{
    public static Task Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.Parameters ??= [];
        if (!operation.Parameters.Any(p => p.Name == CorrelationIds.Header && p.In == ParameterLocation.Header))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = CorrelationIds.Header,
                In = ParameterLocation.Header,
                Required = false,
                Description = $"An id of the caller's for this request, kept when it is 1 to {CorrelationIds.MaxLength} visible ASCII characters " +
                    "(a fresh one is made otherwise); the history records it with the change.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        if (operation.Responses is null)
        {
            return Task.CompletedTask;
        }
        foreach (var response in operation.Responses.Values)
        {
            if (response is OpenApiResponse answer)
            {
                answer.Headers ??= new Dictionary<string, IOpenApiHeader>();
                answer.Headers[CorrelationIds.Header] = new OpenApiHeader
                {
                    Description = "The correlation id this request was kept under: the caller's, or a fresh one.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
        return Task.CompletedTask;
    }
}
