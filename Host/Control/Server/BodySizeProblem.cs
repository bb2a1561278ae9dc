using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace Lethe.Control.Server;

/// <summary>
/// The detail of a 413. Kestrel refuses a body over the request's limit before the endpoint runs, and
/// the answer said only "Content Too Large": not the limit, so a caller could not tell how far over it
/// was, or that an import takes more than the rest.
/// </summary>
public static class BodySizeProblem
{
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status413PayloadTooLarge || context.ProblemDetails.Detail is not null)
        {
            return;
        }
        // The limit Kestrel applied to this request: its default, or the import endpoint's own.
        var limit = context.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        context.ProblemDetails.Detail = "The body is larger than this request takes" +
            (limit is { } bytes ? $": at most {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes" : "") +
            (limit == Api.ImportRulesRequest.MaxBodyBytes ? "" : $" (a rule import takes up to {Api.ImportRulesRequest.MaxBodyBytes >> 20} MiB)") +
            ". Nothing was changed.";
    }
}
