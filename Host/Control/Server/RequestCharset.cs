using System.Text;
using Lethe.Domain;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace Lethe.Control.Server;

/// <summary>
/// The charset a request's Content-Type names. ASP.NET reads a body in a charset it does not know
/// by throwing, which would be a 500; this answers 415 naming it first. A quoted charset
/// (<c>charset="utf-8"</c>, as RFC 9110 allows) is unquoted, so the body is read as it says.
/// Only where the endpoint reads a body: a read has none for the header to describe, and some clients
/// send their default Content-Type with every request, so refusing it there would refuse a GET the
/// OpenAPI document promises no 415 for.
/// </summary>
public static class RequestCharset
{
    public static async Task Filter(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not null
            && context.Request.ContentType is { } type && MediaTypeHeaderValue.TryParse(type, out var media) && media.Charset.HasValue)
        {
            var charset = HeaderUtilities.RemoveQuotes(media.Charset).Value ?? "";
            if (!Known(charset))
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status415UnsupportedMediaType,
                        Title = "The request body is in a charset this server does not read.",
                        Detail = $"The Content-Type names charset {QuotedText.Quote(charset)}, which this server does not know; nothing was changed. Send the body as UTF-8 (application/json; charset=utf-8).",
                    },
                });
                return;
            }
            if (charset != media.Charset.Value)
            {
                media.Charset = charset;
                context.Request.ContentType = media.ToString();
            }
        }
        await next(context);
    }

    private static bool Known(string charset)
    {
        if (charset.Length == 0)
        {
            return false;
        }
        try
        {
            // UTF-7 is known, but ASP.NET refuses to read it (it can smuggle markup past filters).
            return Encoding.GetEncoding(charset).CodePage != 65000;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
