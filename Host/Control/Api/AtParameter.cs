using Lethe.Domain;

namespace Lethe.Control.Api;

/// <summary>The <c>at</c> of <c>GET /policies/{p}?at=TIME</c>, read here so a bad one is named in <c>errors</c>.</summary>
public static class AtParameter
{
    /// <remarks>A time without an offset is UTC, as `lethe history` prints it and `lethe show --at` reads it.</remarks>
    public static DateTimeOffset Read(string text) =>
        IsoTime.TryRead(text, out var time)
            ? time
            : throw new BadRequestPartException("at", $"'at' must be an ISO 8601 time such as 2026-11-29T10:00:00Z (a time without an offset is UTC), not {QuotedText.Quote(text)}.");
}
