namespace Lethe.Control.Server;

/// <summary>
/// The detail of a 404 or 405 that routing answers: a path no endpoint serves (a typo, a --server with
/// a path of its own) or a method the path does not take. Left as they are, both say only "Not Found"
/// or "Method Not Allowed", which a caller can take for a missing policy or a refused change.
/// </summary>
public static class RouteProblem
{
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Detail is not null)
        {
            return;
        }
        var http = context.HttpContext;
        // As sent, percent-escapes kept: nothing of it is decoded into the answer.
        var path = http.Request.Path.ToUriComponent();
        var method = http.Request.Method;
        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            // An endpoint's own 404 (no such policy or version) has its detail already; routing's has no endpoint.
            StatusCodes.Status404NotFound when http.GetEndpoint() is null =>
                $"No endpoint serves {method} {path}: the API's paths are listed in /openapi/v1.json.",
            StatusCodes.Status405MethodNotAllowed when http.Response.Headers.Allow.ToString() is { Length: > 0 } allowed =>
                $"{path} takes {allowed}, not {method} (the Allow header lists them). Nothing was changed.",
            _ => null,
        };
    }
}
