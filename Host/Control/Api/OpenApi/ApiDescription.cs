using Microsoft.AspNetCore.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>What the served OpenAPI document adds to what ASP.NET infers from the endpoints, so clients generated from it match the answers.</summary>
public static class ApiDescription
{
    public static void Configure(OpenApiOptions options)
    {
        options.AddSchemaTransformer(ProblemSchemas.Open);
        options.AddSchemaTransformer(RequiredFields.NeverNull);
        options.AddSchemaTransformer(FieldValues.Describe);
        options.AddSchemaTransformer(AnswerValues.Describe);
        options.AddDocumentTransformer(BearerTokens.Describe);
        options.AddOperationTransformer(BearerTokens.Require);
        // Last, so that it reaches the responses the transformers before it add (401, 403).
        options.AddOperationTransformer(CorrelationHeader.Describe);
    }
}
