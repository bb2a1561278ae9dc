namespace Lethe.Application.Rules.ImportRules;

public static class ImportLines
{
    /// <summary>What a blank line may hold, before a '#' too: what an editor indents with.</summary>
    /// <remarks>
    /// Not every Unicode space: a line of no-break or ideographic spaces, or a line separator, only looks blank.
    /// Rules are printable ASCII, so such a line goes to the rule parser, which refuses it naming the code point,
    /// rather than being skipped unseen.
    /// </remarks>
    private static readonly char[] Blanks = [' ', '\t'];

    /// <summary>The lines that hold rules, with their 1-based line numbers for error messages.</summary>
    public static IEnumerable<(int Number, string Text)> Rules(IReadOnlyList<string> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var text = Cleaned(lines[i].AsSpan(), first: i == 0);
            if (HoldsRule(text))
            {
                // The line itself when nothing was trimmed: an import of many lines makes no copy of each.
                yield return (i + 1, text.Length == lines[i].Length ? lines[i] : text.ToString());
            }
        }
    }

    /// <summary>How many of <paramref name="text"/>'s lines, split at '\n' as <see cref="Rules"/> is given them, hold rules; without a string per line.</summary>
    public static int CountRules(string text)
    {
        var count = 0;
        var rest = text.AsSpan();
        for (var first = true; ; first = false)
        {
            var end = rest.IndexOf('\n');
            if (HoldsRule(Cleaned(end < 0 ? rest : rest[..end], first)))
            {
                count++;
            }
            if (end < 0)
            {
                return count;
            }
            rest = rest[(end + 1)..];
        }
    }

    private static ReadOnlySpan<char> Cleaned(ReadOnlySpan<char> line, bool first)
    {
        var text = line.TrimEnd('\r');
        // A file saved with a byte-order mark: File.ReadAllText drops it, a pipe does not.
        return first ? text.TrimStart('\uFEFF') : text;
    }

    private static bool HoldsRule(ReadOnlySpan<char> line)
    {
        var start = line.TrimStart(Blanks);
        return !start.IsEmpty && start[0] != '#';
    }
}
