namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>
/// One request the fuzzer sends, as bytes and headers (not an object a serializer would make valid again).
/// </summary>
/// <param name="Field">
/// The body field or header the mutation broke, when it broke one: a 400 must name it in <c>errors</c>.
/// Null when no one field is to blame (the body cut short, a byte flipped) or nothing was broken.
/// </param>
/// <param name="Policy">The policy the request is about, whose state a refusal must leave as it was.</param>
internal sealed record FuzzRequest(
    HttpMethod Method,
    string Path,
    byte[]? Body,
    string? ContentType,
    string? IfMatch,
    string? Accept,
    string? CorrelationId,
    string? Field,
    string Mutation,
    string Policy)
{
    public bool Writes => Method == HttpMethod.Post;

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.Remove("Content-Type");
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }
        if (IfMatch is not null)
        {
            message.Headers.TryAddWithoutValidation("If-Match", IfMatch);
        }
        if (Accept is not null)
        {
            message.Headers.TryAddWithoutValidation("Accept", Accept);
        }
        if (CorrelationId is not null)
        {
            message.Headers.TryAddWithoutValidation("X-Correlation-Id", CorrelationId);
        }
        return message;
    }

    /// <summary>For a failure message: what was sent, the body cut to a readable length.</summary>
    public override string ToString()
    {
        var body = Body is null ? "(no body)" : System.Text.Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 300)) + (Body.Length > 300 ? $"... ({Body.Length} bytes)" : "");
        return $"{Method} {Path} [{Mutation}] Content-Type={ContentType ?? "(none)"} If-Match={IfMatch ?? "(none)"} body={body}";
    }
}
