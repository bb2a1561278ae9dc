using System.Globalization;

namespace Lethe.Control.Api;

/// <summary>Optimistic concurrency over HTTP: If-Match carries the policy version read earlier, ETag the new one.</summary>
public static class IfMatch
{
    public static long? Read(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return null;
        }
        if (header.Contains(',', StringComparison.Ordinal))
        {
            // A change is decided on the one version its caller read; "any of these" would not say which.
            throw new BadRequestPartException("If-Match", $"If-Match takes one policy version, the one the change was decided on, not a list: {header}.");
        }
        var value = header.Trim('"');
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw new BadRequestPartException("If-Match", $"If-Match must be a policy version (1 or more) such as \"7\", not {header}.");
    }

    public static void Write(HttpResponse response, long version) => response.Headers.ETag = $"\"{version}\"";
}
