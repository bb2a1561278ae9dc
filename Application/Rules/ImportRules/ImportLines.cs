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
            var text = lines[i].TrimEnd('\r');
            if (i == 0)
            {
                // A file saved with a byte-order mark: File.ReadAllText drops it, a pipe does not.
                text = text.TrimStart('\uFEFF');
            }
            var start = text.AsSpan().TrimStart(Blanks);
            if (start.IsEmpty || start[0] == '#')
            {
                continue;
            }
            yield return (i + 1, text);
        }
    }
}
