using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;

namespace Lethe.Control.Server;

/// <summary>
/// The title and type a refusal gets when whoever refused gave none (routing's 404 and 405, the 401 and 403,
/// routing's 415): ASP.NET's own writer fills them in, but only for a client that accepts JSON, so
/// <see cref="ProblemJsonWriter"/> answered the others {"status":404,"detail":...} without a title.
/// The types are the sections of RFC 9110 that define each status, as ASP.NET links them.
/// </summary>
public static class ProblemDefaults
{
    public static void Fill(ProblemDetails problem, int status)
    {
        if (problem.Title is null && ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase)
        {
            problem.Title = phrase;
        }
        if (problem.Type is null && Section(status) is { } section)
        {
            problem.Type = "https://tools.ietf.org/html/rfc9110#section-" + section;
        }
    }

    private static string? Section(int status) => status switch
    {
        400 => "15.5.1",
        401 => "15.5.2",
        403 => "15.5.4",
        404 => "15.5.5",
        405 => "15.5.6",
        406 => "15.5.7",
        408 => "15.5.9",
        409 => "15.5.10",
        412 => "15.5.13",
        413 => "15.5.14",
        415 => "15.5.16",
        422 => "15.5.21",
        426 => "15.5.22",
        500 => "15.6.1",
        502 => "15.6.3",
        503 => "15.6.4",
        504 => "15.6.5",
        _ => null,
    };
}
