using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

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
    /// <param name="program">The program's name as the user types it, for naming what a command takes.</param>
    public static IReadOnlyList<string> Of(ParseResult parse, IReadOnlyList<string> args, string program)
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
        if (parse.Errors.Count == 0)
        {
            return [];
        }
        var command = parse.CommandResult;
        var path = $"{program} {string.Join(' ', Path(command))}";
        var problems = new List<string>();
        // An option typed wrong (--jsn, or —reason with a word processor's dash) is taken for the first argument free, so
        // the parser names a later word as the one too many: say what it is.
        foreach (var argument in command.Children.OfType<ArgumentResult>())
        {
            foreach (var token in argument.Tokens.Where(t => LooksLikeOption(t.Value)))
            {
                problems.Add($"'{token.Value}' is not an option of {path} (it was read as <{argument.Argument.Name}>)");
            }
        }
        // The parser says "Required argument missing for command: 'add'." once per argument missing, naming none of them.
        var given = command.Children.OfType<ArgumentResult>().Where(a => a.Tokens.Count > 0).Select(a => a.Argument).ToHashSet();
        var missing = command.Command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && !given.Contains(a)).ToList();
        foreach (var error in parse.Errors)
        {
            if (missing.Count > 0 && error.Message.StartsWith("Required argument missing for command", StringComparison.Ordinal))
            {
                continue;
            }
            problems.Add(error.Message);
        }
        if (missing.Count > 0)
        {
            problems.Insert(0, $"missing {string.Join(' ', missing.Select(a => $"<{a.Name}>"))}: {path} takes {string.Join(' ', command.Command.Arguments.Select(a => $"<{a.Name}>"))}");
        }
        return problems;
    }

    /// <summary>A word that starts as an option does (with '-' or a dash a word processor puts for "--"), and is no number.</summary>
    private static bool LooksLikeOption(string word) =>
        word.Length > 1 && (word[0] == '-' || word[0] is >= '\u2010' and <= '\u2015' || word[0] == '\u2212')
        && !double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static IEnumerable<string> Path(CommandResult result)
    {
        var names = new List<string>();
        for (var current = result; current?.Parent is not null; current = current.Parent as CommandResult)
        {
            names.Insert(0, current.Command.Name);
        }
        return names;
    }
}
