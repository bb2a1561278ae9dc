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
        VersionHeaders.Parameter(operation, CorrelationIds.Header, $"An id of the caller's for this request, kept when it is 1 to " +
            $"{CorrelationIds.MaxLength} visible ASCII characters (a fresh one is made otherwise); the history records it with the change.");
        foreach (var status in operation.Responses?.Keys.ToArray() ?? [])
        {
            VersionHeaders.Header(operation, status, CorrelationIds.Header, "The correlation id this request was kept under: the caller's, or a fresh one.");
        }
        return Task.CompletedTask;
    }
}
