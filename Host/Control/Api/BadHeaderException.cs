namespace Lethe.Control.Api;

/// <summary>A request header that cannot be read: a 400 whose <c>errors</c> name the header, as a bad field is named.</summary>
public sealed class BadHeaderException(string header, string message) : BadHttpRequestException(message)
{
    public string Header { get; } = header;
}
