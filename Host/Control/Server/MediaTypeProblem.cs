namespace Lethe.Control.Server;

/// <summary>
/// The 415 for a body of another media type than JSON: routing answers it before any handler when the
/// body names another type, and the binding (<see cref="ProblemMapping"/>) when it names none. Left as
/// they are, one says only "Unsupported Media Type" and the other "Expected a supported JSON media
/// type but got \"\"", and `curl -d` without a Content-Type (which sends
/// application/x-www-form-urlencoded) or Python's requests with data= (which sends none) would not
/// learn what to send instead.
/// </summary>
public static class MediaTypeProblem
{
    public static void Describe(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Status != StatusCodes.Status415UnsupportedMediaType || context.ProblemDetails.Detail is not null)
        {
            return;
        }
        context.ProblemDetails.Detail = Detail(context.HttpContext.Request);
    }

    public static string Detail(HttpRequest request)
    {
        var sent = request.ContentType;
        return (string.IsNullOrWhiteSpace(sent) ? "The body has no Content-Type" : $"The body was sent as {sent}") +
            "; this server reads JSON only: send it with Content-Type: application/json. Nothing was changed.";
    }
}
