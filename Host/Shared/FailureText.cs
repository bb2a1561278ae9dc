namespace Lethe.Hosts;

/// <summary>
/// An exception's message with those of the exceptions inside it: HttpClient says only "The SSL
/// connection could not be established, see inner exception.", and the reason (an untrusted
/// certificate, a name that does not match, plain HTTP on the port) is inside.
/// </summary>
internal static class FailureText
{
    public static string Of(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            var message = x.Message.Replace(", see inner exception.", "", StringComparison.OrdinalIgnoreCase)
                .Replace(" See the inner exception for details.", "", StringComparison.OrdinalIgnoreCase)
                .Trim().TrimEnd('.');
            if (message.Length > 0 && !parts.Exists(p => p.Contains(message, StringComparison.Ordinal)))
            {
                parts.Add(message);
            }
        }
        return string.Join(": ", parts);
    }
}
