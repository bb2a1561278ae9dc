using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>
/// Checks of what the printers index into, made before they do: another program's JSON of the right
/// outer kind (a list of strings, an object whose "rules" is text) is then named by
/// <see cref="ApiClient"/> instead of ending `lethe` in a stack trace. Each answers what is wrong,
/// worded to follow "with", or null.
/// </summary>
public static class AnswerShape
{
    /// <param name="name">What the node is, as the error names it ("JSON", "a \"clients\"").</param>
    /// <param name="ofObjects">Whether every entry must be a JSON object (the printers index into each).</param>
    public static string? List(JsonNode? node, string name, bool ofObjects) =>
        node is JsonArray list && (!ofObjects || list.All(entry => entry is JsonObject))
            ? null
            : $"{name} that is not a list{(ofObjects ? " of JSON objects" : "")}";

    /// <summary>Like <see cref="List"/>, for a field a printer passes over when it is absent.</summary>
    public static string? OptionalList(JsonObject owner, string field, string name, bool ofObjects) =>
        owner[field] is null ? null : List(owner[field], name, ofObjects);

    /// <summary>The first problem of <paramref name="entries"/> (JSON objects, as <see cref="List"/> checked), or null.</summary>
    public static string? Entries(JsonArray entries, Func<JsonObject, string?> entry) =>
        entries.Select(e => entry((JsonObject)e!)).FirstOrDefault(problem => problem is not null);

    public static string? First(params IEnumerable<string?> problems) => problems.FirstOrDefault(problem => problem is not null);
}
