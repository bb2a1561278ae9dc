using System.Text;
using Lethe.Domain;

namespace Lethe.Hosts;

/// <summary>
/// A refusal that quotes what was typed on the command line (the parser's "Unrecognized command or argument '...'", a
/// flag's "'...' is not an address", .NET's "Could not find file '...'"), made fit for one line of a terminal: every
/// character a terminal acts on is escaped as <see cref="TerminalText.Safe"/> writes it, and a typed value too long to
/// read (a pasted blob, longer than any path Linux takes) is cut to its start and length as <see cref="QuotedText"/>
/// cuts one in a rule's refusal. A path is shown whole however deep it is: it is what the user needs to find the file.
/// Compiled into lethe and lethe-firewall alike (linked from Host/Shared).
/// </summary>
internal static class ArgvText
{
    /// <summary>A typed word (a path, a URL) put into a line of the program's own words: escaped, cut only when a pasted blob.</summary>
    public static string Word(string typed) => Shown(typed, [typed]);

    /// <summary>Longest path Linux takes (PATH_MAX): a typed word longer than this is no path but a pasted blob.</summary>
    public const int MaxWhole = 4_096;

    /// <param name="message">Text of the program's own and .NET's, and what was typed; nothing already escaped.</param>
    /// <param name="typed">The command line's words: where one longer than <see cref="MaxWhole"/> shows in the message, its start and length show instead.</param>
    public static string Shown(string message, IEnumerable<string> typed)
    {
        // A flag may quote part of a value (the A of A/N, the ADDR of NAME=ADDR, a path's folder as .NET resolves it): the parts too.
        var long_ = typed.SelectMany(t => (string[])[t, .. t.Split('/', '=')]).Where(t => t.Length > MaxWhole)
            .Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).ToList();
        var shown = new StringBuilder(Math.Min(message.Length, 1024));
        var at = 0;
        while (long_.Count > 0)
        {
            var (first, token) = (-1, "");
            foreach (var candidate in long_)
            {
                var found = message.IndexOf(candidate, at, StringComparison.Ordinal);
                if (found >= 0 && (first < 0 || found < first))
                {
                    (first, token) = (found, candidate);
                }
            }
            if (first < 0)
            {
                break;
            }
            shown.Append(TerminalText.Safe(message[at..first])).Append(QuotedText.Safe(token));
            at = first + token.Length;
        }
        return shown.Append(TerminalText.Safe(message[at..])).ToString();
    }
}
