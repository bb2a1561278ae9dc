namespace Lethe.Control.Api;

/// <summary>
/// A header or query parameter that cannot be read: a 400 whose <c>errors</c> name it, as a bad body
/// field is named.
/// </summary>
public sealed class BadRequestPartException(string part, string message) : BadHttpRequestException(message)
{
    public string Part { get; } = part;
}
