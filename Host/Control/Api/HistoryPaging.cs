using System.Globalization;
using Lethe.Application.History.GetHistory;
using Lethe.Domain;

namespace Lethe.Control.Api;

/// <summary>
/// The <c>limit</c> and <c>before</c> of <c>GET /policies/{p}/history</c>, bound as text and read here so that one
/// that is not a whole number is named in <c>errors</c> (ASP.NET's own binding would refuse it unnamed); the
/// validator judges the numbers. And the Link header that points to the next older page.
/// </summary>
public static class HistoryPaging
{
    public static (int? Limit, long? Before) Read(string? limit, string? before)
    {
        int? most = null;
        long? cursor = null;
        if (limit is not null)
        {
            most = int.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
                : throw new BadRequestPartException("limit", $"'limit' must be a whole number from 1 to {GetHistory.MaxLimit} (leave it out for every entry), not {QuotedText.Quote(limit)}.");
        }
        if (before is not null)
        {
            cursor = long.TryParse(before, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b) ? b
                : throw new BadRequestPartException("before", $"'before' must be an entry's sequence (1, 2, ...), as the previous page's Link gives it, not {QuotedText.Quote(before)}.");
        }
        return (most, cursor);
    }

    /// <summary>The same request for the entries older than <paramref name="before"/>, as RFC 8288 writes it.</summary>
    public static string Next(HttpRequest request, string policy, int? limit, long before) =>
        $"<{request.PathBase}/policies/{Uri.EscapeDataString(policy)}/history?" +
        (limit is { } l ? $"limit={l.ToString(CultureInfo.InvariantCulture)}&" : "") +
        $"before={before.ToString(CultureInfo.InvariantCulture)}>; rel=\"next\"";
}
