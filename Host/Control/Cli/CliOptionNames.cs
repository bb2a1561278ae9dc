namespace Lethe.Control.Cli;

/// <summary>
/// The option a user typed for an API field whose name differs from it, so a field error reads
/// <c>--to: ...</c> for <c>lethe rollback --to 0</c> rather than the request's <c>toVersion</c>.
/// Fields named as their options (reason, position, port, ...) and rule keys (<c>rule.dst4</c>) stay as they are;
/// --if-match and --confirm-within are checked by the CLI itself before any request.
/// </summary>
public static class CliOptionNames
{
    private static readonly Dictionary<string, string> OptionOf = new(StringComparer.Ordinal)
    {
        ["toVersion"] = "--to",
        ["icmpType"] = "--icmp-type",
        ["addresses"] = "--address",
    };

    /// <summary><c>addresses[1]</c> becomes <c>--address #2</c>: the second --address given.</summary>
    public static string Of(string field)
    {
        var end = field.IndexOfAny(['[', '.']);
        var root = end < 0 ? field : field[..end];
        if (!OptionOf.TryGetValue(root, out var option))
        {
            return field;
        }
        var rest = end < 0 ? "" : field[end..];
        if (rest.Length > 2 && rest[0] == '[' && rest.IndexOf(']') is var close and > 1
            && int.TryParse(rest.AsSpan(1, close - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return $"{option} #{index + 1}{rest[(close + 1)..]}";
        }
        return option + rest;
    }
}
