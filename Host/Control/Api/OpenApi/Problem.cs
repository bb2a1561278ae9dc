using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>A refusal as the server sends every one: problem details, whatever the request's Accept says.</summary>
public static class Problem
{
    public const string MediaType = "application/problem+json";

    public static OpenApiResponse Response(string description, OpenApiDocument? document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [MediaType] = new() { Schema = new OpenApiSchemaReference(nameof(Microsoft.AspNetCore.Mvc.ProblemDetails), document) },
        },
    };
}
