using System.Globalization;
using Lethe.Application.History.GetHistory;
using Microsoft.OpenApi;

namespace Lethe.Control.Api.OpenApi;

/// <summary>
/// The history's paging: its two query parameters are bound as text (so a bad one is refused naming it),
/// which the document would otherwise offer as any string; and the Link header that names the next page,
/// which the handler sets by hand.
/// </summary>
public static class HistoryPages
{
    public static TBuilder PagesHistory<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            Integer(operation, "limit", 1, GetHistory.MaxLimit,
                "At most this many entries: the newest of those asked for, still oldest first. Without it, every entry (no default limit).");
            Integer(operation, "before", 1, null,
                "Only entries whose sequence is less than this: the cursor the Link header of the previous page names.");
            VersionHeaders.Header(operation, "200", "Link",
                "Present when older entries remain: <...history?limit=N&before=SEQUENCE>; rel=\"next\", the request for the next older page.");
            return Task.CompletedTask;
        });

    private static void Integer(OpenApiOperation operation, string name, long minimum, long? maximum, string description)
    {
        if (operation.Parameters?.FirstOrDefault(p => p.Name == name && p.In == ParameterLocation.Query) is not OpenApiParameter parameter)
        {
            return;
        }
        parameter.Description = description;
        parameter.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Integer,
            Format = maximum is null ? "int64" : "int32",
            Minimum = minimum.ToString(CultureInfo.InvariantCulture),
            Maximum = maximum?.ToString(CultureInfo.InvariantCulture),
        };
    }
}
