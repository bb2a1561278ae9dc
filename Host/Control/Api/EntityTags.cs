using Microsoft.Extensions.Primitives;

namespace Lethe.Control.Api;

/// <summary>If-None-Match as RFC 9110 §13.1.2 reads it: a list of tags, weak ones compared by their opaque part, or "*".</summary>
public static class EntityTags
{
    public static bool Match(StringValues ifNoneMatch, string etag)
    {
        foreach (var header in ifNoneMatch)
        {
            foreach (var part in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var tag = part.StartsWith("W/", StringComparison.Ordinal) ? part[2..] : part;
                if (tag == "*" || tag == etag)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
