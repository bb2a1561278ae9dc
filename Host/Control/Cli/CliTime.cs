using System.Globalization;
using System.Text.Json.Nodes;
using Lethe.Control.Api;

namespace Lethe.Control.Cli;

/// <summary>
/// How the readable output prints a moment the control plane sent: UTC, to the microsecond the log
/// stores, as `history` has always printed it, so a time read off any table compares with another
/// and goes back into `show --at` unchanged. `--json` keeps the server's own text.
/// </summary>
public static class CliTime
{
    public static bool TryRead(JsonNode? node, out DateTimeOffset time)
    {
        time = default;
        // ISO 8601 alone, as a control plane sends it and `show --at` takes it: a loose parse would print
        // "03/04/2026" as 4 March and "10:00" as today, another moment than the answer meant.
        return node is JsonValue value && value.TryGetValue<string>(out var text) && IsoTime.TryRead(text, out time);
    }

    /// <summary>The time in <paramref name="node"/>, which a shape check (<see cref="Problem"/>) has found to be one.</summary>
    public static string Text(JsonNode? node) =>
        TryRead(node, out var time) ? Format(time) : throw new ArgumentException("not a time", nameof(node));

    /// <summary>A moment as every readable table prints one (a rule's expiry too): UTC, to the microsecond.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>For <see cref="AnswerShape"/>: what is wrong with a time a printer formats, worded to follow "with", or null.</summary>
    /// <param name="name">What holds it ("an entry whose \"at\"").</param>
    /// <param name="optional">Whether the field may be absent (a deadline only a version on trial has).</param>
    public static string? Problem(JsonNode? node, string name, bool optional = false) =>
        (optional && node is null) || TryRead(node, out _) ? null : $"{name} is not a time";
}
