namespace Lethe.Control.Cli;

/// <summary>
/// The option a user typed for an API field, so a field error reads <c>--port: ...</c> for
/// <c>lethe test add ... --port 70000</c> and <c>--to: ...</c> for <c>lethe rollback --to 0</c>, rather than
/// the request's <c>port</c> or <c>toVersion</c>. A field the command takes as an argument (a policy or
/// client name) or inside one (<c>rule.dst4</c>) keeps its own name: only an option of the command that
/// ran is named, since <c>client</c> is <c>--client</c> to <c>test add</c> but an argument to <c>client remove</c>.
/// </summary>
public static class CliOptionNames
{
    /// <summary>Fields whose option is not their name in kebab case.</summary>
    private static readonly Dictionary<string, string> OptionOf = new(StringComparer.Ordinal)
    {
        ["toVersion"] = "--to",
        ["addresses"] = "--address",
    };

    /// <param name="options">The names of the options of the command that ran (<c>--port</c>, <c>--reason</c>, ...).</param>
    /// <remarks><c>addresses[1]</c> becomes <c>--address #2</c>: the second --address given.</remarks>
    public static string Of(string field, IReadOnlySet<string> options)
    {
        var end = field.IndexOfAny(['[', '.']);
        var root = end < 0 ? field : field[..end];
        if (!OptionOf.TryGetValue(root, out var option) || !options.Contains(option))
        {
            option = "--" + Kebab(root);
            if (!options.Contains(option))
            {
                return field;
            }
        }
        var rest = end < 0 ? "" : field[end..];
        if (rest.Length > 2 && rest[0] == '[' && rest.IndexOf(']') is var close and > 1
            && int.TryParse(rest.AsSpan(1, close - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return $"{option} #{index + 1}{rest[(close + 1)..]}";
        }
        return option + rest;
    }

    /// <summary>"icmpType" is "icmp-type", as the CLI spells its options.</summary>
    private static string Kebab(string camel)
    {
        var text = new System.Text.StringBuilder(camel.Length + 4);
        foreach (var c in camel)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                text.Append('-').Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }
}
