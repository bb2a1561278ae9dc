using System.CommandLine;
using System.CommandLine.Help;

namespace Lethe.Hosts;

/// <summary>
/// What is wrong with a command line, as both programs report it before running anything. Compiled into lethe
/// and lethe-firewall alike (linked from Host/Shared).
/// </summary>
internal static class ParseProblems
{
    /// <summary>The parser's messages, none for a request for help (given whatever else is wrong: it is what was asked for).</summary>
    /// <remarks>
    /// System.CommandLine drops every error of a line that holds the root's --version, as it does for --help, and prints
    /// the version: `lethe confirx cf --version 3`, a misspelt confirm, would exit 0. --version answers only on its own.
    /// </remarks>
    public static IReadOnlyList<string> Of(ParseResult parse, IReadOnlyList<string> args)
    {
        if (parse.Action is HelpAction)
        {
            return [];
        }
        if (args.Count > 1 && parse.RootCommandResult.Command.Options.OfType<VersionOption>().Any(version => version.Action == parse.Action))
        {
            var unknown = parse.UnmatchedTokens.Select(token => $"Unrecognized command or argument '{token}'.").ToList();
            return unknown.Count > 0 ? unknown : ["--version takes nothing else: give it alone"];
        }
        return [.. parse.Errors.Select(e => e.Message)];
    }
}
