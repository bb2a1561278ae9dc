namespace Lethe.Control.Server;

/// <summary>
/// Every problem answer forbids caches to keep it, with the headers ASP.NET's exception handler gives
/// the refusals it handles (ProblemMapping's). Those written otherwise (routing's 415 for a form-encoded
/// body, the charset's 415, 401, 403, a path or method no endpoint serves) went out without them, so a
/// proxy could serve a stale refusal (a 404 for a policy since made, a 401 from before a token was fixed).
/// </summary>
public static class ProblemCaching
{
    public static void Forbid(ProblemDetailsContext context)
    {
        var headers = context.HttpContext.Response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
        headers.Expires = "-1";
    }
}
