using System.CommandLine;

namespace Lethe.Control.Cli;

/// <summary>Puts a command-line argument into a request path as one segment, and only one.</summary>
public static class ApiPath
{
    /// <remarks>
    /// Unescaped, "../../other/rules/ID" given as a rule id reaches another policy's endpoint, and a '#'
    /// or '?' cuts the path short. "." and ".." are refused outright: the URI is normalised even when
    /// they are escaped.
    /// </remarks>
    public static string Segment(ParseResult parse, Argument<string> argument)
    {
        var value = parse.GetValue(argument) ?? "";
        if (value is "" or "." or "..")
        {
            throw new CliException($"{argument.Name}: '{value}' is not a name or id");
        }
        return Uri.EscapeDataString(value);
    }
}
