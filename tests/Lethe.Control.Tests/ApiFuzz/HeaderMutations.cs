namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>If-Match, Content-Type and Accept values a client may send by mistake, with whether a 400 must name If-Match.</summary>
internal static class HeaderMutations
{
    /// <returns>The header's value and whether it is malformed (a 400 naming If-Match), as against well-formed (current, stale or any).</returns>
    public static (string Value, bool Malformed) IfMatch(long current, Random random) => random.Next(16) switch
    {
        14 => ("\"" + new string('7', random.Next(1_000, 20_000)) + "\"", true),
        15 => ($"\"{current}\"\t", false),
        0 => ($"\"{current}\"", false),
        1 => (current.ToString(System.Globalization.CultureInfo.InvariantCulture), false),
        2 => ($"\"{Math.Max(1, current - 1)}\"", false),
        3 => ("*", false),
        4 => ($"\"{current + 1_000_000}\"", false),
        5 => ("\"0\"", true),
        6 => ("-1", true),
        7 => ($"W/\"{current}\"", true),
        8 => ($"\"{current}\", \"{current + 1}\"", true),
        9 => ("99999999999999999999", true),
        10 => ("abc", true),
        11 => ("\"\"", true),
        12 => ("\"+1\"", true),
        _ => ($"\"{current}\"{new string(' ', 3)}x", true),
    };

    public static string? ContentType(Random random)
    {
        string?[] types =
        [
            null, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=bogus", "application/json; charset=utf-16",
            "application/json; charset=\"utf-8\"", "application/json; charset=iso-8859-1", "application/json; charset=utf-7", "application/json; charset=",
            "application/problem+json", "application/merge-patch+json", "application/*", "*/*", "multipart/form-data; boundary=x", "application/json;;;",
            "APPLICATION/JSON", "application/json; charset=utf-32", "application/xml", "json", "application/json; q=0.5", "application/json, text/plain",
        ];
        return types[random.Next(types.Length)];
    }

    public static string? Accept(Random random)
    {
        string?[] accepts = [null, null, null, "text/html", "application/xml", "*/*", "application/json", "text/plain;q=1, application/json;q=0"];
        return accepts[random.Next(accepts.Length)];
    }

    /// <summary>An X-Correlation-Id: kept when 1 to 64 visible ASCII characters, else replaced by a fresh one (never refused).</summary>
    public static string? CorrelationId(Random random) => random.Next(8) switch
    {
        0 => "fuzz-" + random.Next(),
        1 => new string('c', 64),
        2 => new string('c', 65),
        3 => new string('c', random.Next(100, 8000)),
        4 => "two words",
        5 => "tab\there",
        6 => "",
        _ => null,
    };
}
