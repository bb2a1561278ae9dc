namespace Lethe.Control.Server;

/// <summary>Which X-Correlation-Id a request keeps: the caller's, when it is safe to echo and to store.</summary>
public static class CorrelationIds
{
    public const string Header = "X-Correlation-Id";

    public const int MaxLength = 64;

    /// <remarks>
    /// Visible ASCII only: the id goes back out as a response header (where anything else makes Kestrel
    /// throw, so every request would fail with 500), and into the audit log, where a tab or a line break
    /// could make one entry look like two. Anything else gets a fresh id rather than a refusal, so a
    /// proxy's odd header does not stop a change.
    /// </remarks>
    public static string Choose(string? requested)
    {
        if (requested is { Length: > 0 and <= MaxLength } && IsVisibleAscii(requested))
        {
            return requested;
        }
        return Guid.NewGuid().ToString("N");
    }

    private static bool IsVisibleAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
