using System.Reflection;
using System.Text.Json;

namespace Lethe.Control.Server;

/// <summary>
/// What is wrong with one field of a JSON body that parsed but could not be read into the request:
/// bytes that are not UTF-8 (a file saved as Latin-1), an escaped surrogate without its pair, or a
/// value of another JSON type than the field takes. One message for all three left the caller to
/// guess which, and what the field takes; the serializer's own words name the server's types.
/// </summary>
public static class JsonFieldProblem
{
    private enum Kind { NotUtf8, LoneSurrogate, WrongType }

    public static string Error(string field, JsonException json) => Classify(json) switch
    {
        Kind.NotUtf8 => $"'{field}' holds bytes that are not UTF-8: send the body as UTF-8, or name its charset in Content-Type " +
            "(application/json; charset=iso-8859-1, say); nothing was changed",
        Kind.LoneSurrogate => $"'{field}' holds an escaped surrogate without its other half (\\uD800 to \\uDFFF come in pairs), which is no text; nothing was changed",
        _ => $"'{field}' has the wrong type or is out of range{Takes(json)}; nothing was changed",
    };

    public static string Detail(string field, JsonException json) => Classify(json) switch
    {
        Kind.NotUtf8 => $"The body's field '{field}' is not valid UTF-8.",
        Kind.LoneSurrogate => $"The body's field '{field}' holds an unpaired surrogate.",
        _ => $"The body's field '{field}' has the wrong type or is out of range{Takes(json)}.",
    };

    /// <summary>
    /// The reader's complaint about a string's text comes as the serializer's "could not be converted",
    /// with the reader's own (an InvalidOperationException naming UTF-8 or UTF-16) inside.
    /// </summary>
    private static Kind Classify(JsonException json) => json.InnerException switch
    {
        InvalidOperationException { Message: var m } when m.Contains("UTF-8", StringComparison.Ordinal) => Kind.NotUtf8,
        InvalidOperationException { Message: var m } when m.Contains("UTF-16", StringComparison.Ordinal) => Kind.LoneSurrogate,
        _ => Kind.WrongType,
    };

    /// <summary>
    /// ": it must be ..." for the field the reader stopped at, or empty when its type is not one the requests
    /// use. The serializer names the request's record (a constructor parameter failed) or the field's own type.
    /// </summary>
    private static string Takes(JsonException json)
    {
        const string Prefix = "could not be converted to ";
        var start = json.Message.IndexOf(Prefix, StringComparison.Ordinal);
        if (start < 0 || json.Path is not { } path || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return "";
        }
        var named = json.Message[(start + Prefix.Length)..].Split(". Path:", 2)[0].TrimEnd('.');
        var bracket = path.IndexOf('[', StringComparison.Ordinal);
        var member = bracket < 0 ? path[2..] : path[2..bracket];
        var type = typeof(JsonFieldProblem).Assembly.GetType(named) is { } request
            ? request.GetProperty(member, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType
            : Type.GetType(named);
        if (type is not null && bracket >= 0 && type != typeof(string))
        {
            type = type.IsArray ? type.GetElementType() : type.GetGenericArguments().FirstOrDefault();
        }
        var takes = (type is null ? null : Nullable.GetUnderlyingType(type) ?? type) switch
        {
            { } t when t == typeof(string) => "a string",
            { } t when t == typeof(bool) => "true or false",
            { } t when t == typeof(int) => "a whole number up to 2147483647",
            { } t when typeof(IEnumerable<string>).IsAssignableFrom(t) => "an array of strings",
            _ => null,
        };
        return takes is null ? "" : $": it must be {takes}";
    }
}
