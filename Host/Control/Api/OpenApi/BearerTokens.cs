using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// Every endpoint but /health takes a bearer token and refuses a request without a valid one (401)
/// or with one whose role is too low (403). ASP.NET lists neither the scheme nor those answers, so a
/// generated client sent no token and had no case for either refusal.
/// </summary>
public static class BearerTokens
{
    public const string Scheme = "Bearer";

    public static Task Describe(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A token from Lethe:Tokens; its role (viewer, editor, admin) decides what it may do.",
        };
        return Task.CompletedTask;
    }

    public static Task Require(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (!metadata.OfType<IAuthorizeData>().Any() || metadata.OfType<IAllowAnonymous>().Any())
        {
            return Task.CompletedTask;
        }
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] });
        operation.Responses ??= [];
        operation.Responses["401"] = Problem.Response("Unauthorized: no token, or one the control plane does not know.", context.Document);
        operation.Responses["403"] = Problem.Response("Forbidden: the token's role is too low for this request.", context.Document);
        return Task.CompletedTask;
    }
}
