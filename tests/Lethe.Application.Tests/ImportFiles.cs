using System.Text;
using Lethe.Domain.Tests;

namespace Lethe.Application.Tests;

/// <summary>
/// Rules files for the import fuzz: the lines `qvm-firewall --raw list` prints, with blank and '#' lines between,
/// LF or CRLF, a byte-order mark, some lines mutated (<see cref="RuleMutations"/>) and sometimes the file itself
/// (a line break, a carriage return or a NUL where none was). Seeded, so a failure repeats.
/// </summary>
internal static class ImportFiles
{
    private static readonly string[] Breaking = ["\n", "\r", "\r\n", "\0", "\u2028", "\u0085", "\ufeff", "#", " ", "\t", "\x1b"];

    /// <param name="mutate">How many lines in a hundred are mutated; 0 for a file every line of which parses.</param>
    public static string File(Random random, int mutate)
    {
        var lines = new List<string>();
        for (var n = random.Next(1, 12); n > 0; n--)
        {
            lines.Add(random.Next(10) switch
            {
                0 => random.Next(2) == 0 ? "" : new string(' ', random.Next(1, 4)),
                1 => (random.Next(3) == 0 ? "  " : "") + "# " + Pick(random, ["exported from sys-firewall", "déjà vu \U0001F600", "action=bogus", "\x1b[2J"]),
                _ when random.Next(100) < mutate => RuleMutations.Mutated(random),
                _ => RuleMutations.Valid(random).Text,
            });
        }
        var newline = random.Next(3) == 0 ? "\r\n" : "\n";
        var text = new StringBuilder(random.Next(6) == 0 ? "\ufeff" : "").AppendJoin(newline, lines);
        if (random.Next(2) == 0)
        {
            text.Append(newline);
        }
        if (mutate > 0 && random.Next(4) == 0)
        {
            text.Insert(random.Next(text.Length + 1), Pick(random, Breaking));
        }
        return text.ToString();
    }

    /// <summary>The lines as the CLI splits a file (a CR before each LF is the import's to drop).</summary>
    public static string[] Lines(string file) => file.Split('\n');

    private static string Pick(Random random, string[] from) => from[random.Next(from.Length)];
}
