namespace Lethe.Control.Server;

/// <summary>
/// The 415 that routing answers for a body of another media type than JSON, before any handler: left
/// as it is, it says only "Unsupported Media Type", and `curl -d` without a Content-Type (which sends
/// application/x-www-form-urlencoded) would not learn what to send instead.
/// </summary>
public static class MediaTypeProblem
{
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status415UnsupportedMediaType || context.ProblemDetails.Detail is not null)
        {
            return;
        }
        var sent = context.HttpContext.Request.ContentType;
        context.ProblemDetails.Detail = (string.IsNullOrWhiteSpace(sent) ? "The body has no Content-Type" : $"The body was sent as {sent}") +
            "; this server reads JSON only: send it with Content-Type: application/json. Nothing was changed.";
    }
}
