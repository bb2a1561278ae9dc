namespace Lethe.Application.Rules.ImportRules;

public static class ImportLines
{
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
            if (text.Trim().Length == 0 || text.TrimStart().StartsWith('#'))
            {
                continue;
            }
            yield return (i + 1, text);
        }
    }
}
