using System.Text.RegularExpressions;
using Lethe.Domain;

namespace Lethe.TestSupport.ArgvFuzz;

/// <summary>What a user relies on whatever the command line: the properties every fuzzed run is held to.</summary>
public static partial class ArgvOutcome
{
    /// <summary>What is wrong with how a program ended for <paramref name="run"/>, or null.</summary>
    /// <param name="codes">The exit codes the program documents (lethe: 0 and 1; lethe-firewall: 0, 1 and 2).</param>
    /// <param name="refusalOnStdout">The command reports what it refuses on stdout (lethe rule parse: one line per rule), so stderr may be empty.</param>
    public static string? Problem(ArgvCase run, int code, string stdout, string stderr, IReadOnlyCollection<int> codes, bool refusalOnStdout = false)
    {
        if (StackTrace(stdout) || StackTrace(stderr))
        {
            return "printed a .NET exception or stack trace";
        }
        if (!codes.Contains(code))
        {
            return $"exited {code}, not one of {string.Join(", ", codes)}";
        }
        if (code == 0)
        {
            return run.SurelyInvalid ? "exited 0 for a command line it must refuse" : null;
        }
        if (refusalOnStdout && stderr.Length == 0)
        {
            return stdout.Split('\n').Any(line => line.StartsWith("error: ", StringComparison.Ordinal)) || stdout.Contains("\"error\": {", StringComparison.Ordinal)
                ? null
                : $"exited {code} without an `error: ` line on stdout or stderr";
        }
        if (!stderr.Split('\n').Any(line => line.StartsWith("error: ", StringComparison.Ordinal)))
        {
            return $"exited {code} without an `error: ` line on stderr";
        }
        if (stderr.Any(c => c != '\n' && TerminalText.Acts(c)))
        {
            return "stderr holds a character a terminal acts on (a control character, a line separator, a bidirectional override) as it is, not escaped";
        }
        // Longer than any path Linux takes (4,096): a pasted blob, which a refusal quotes by its start, as rule refusals do.
        if (run.Args.FirstOrDefault(a => a.Length > 4_096 && stderr.Contains(a[..200], StringComparison.Ordinal)) is { } whole)
        {
            return $"stderr quotes a value of {whole.Length} characters at more than 200 of them";
        }
        if (run.Names.Count > 0 && !Refusal().IsMatch(stderr) && !run.Names.Any(name => Names(stderr, name)))
        {
            return $"the refusal names none of {string.Join(", ", run.Names.Select(ArgvMutations.Shown))}";
        }
        return null;
    }

    /// <summary>Whether stderr names <paramref name="name"/>: as typed, as shown escaped, or by its start when it is long (refusals cut a long value).</summary>
    private static bool Names(string stderr, string name)
    {
        var start = name.Length > 40 ? name[..40] : name;
        return start.Length > 0 && (stderr.Contains(start, StringComparison.Ordinal) || stderr.Contains(TerminalText.Safe(start), StringComparison.Ordinal)
            || stderr.Contains(ArgvMutations.Shown(start).Trim('\''), StringComparison.Ordinal));
    }

    public static bool StackTrace(string text) =>
        text.Contains("Unhandled exception", StringComparison.Ordinal) || Frame().IsMatch(text) || text.Contains("--- End of", StringComparison.Ordinal);

    /// <summary>A frame as .NET prints one: "   at Namespace.Type.Method(...)".</summary>
    [GeneratedRegex(@"(?m)^\s+at [A-Za-z_][\w.`<>+\[\],|]*\(")]
    private static partial Regex Frame();

    /// <summary>The control plane's refusal as lethe prints it: "... (HTTP 404)".</summary>
    [GeneratedRegex(@"\(HTTP [1-5]\d\d\)")]
    private static partial Regex Refusal();
}
