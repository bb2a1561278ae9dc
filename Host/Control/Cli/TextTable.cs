using System.Text;

namespace Lethe.Control.Cli;

/// <summary>Left-aligned columns sized to their widest cell, in terminal columns; control characters in cells shown as escapes.</summary>
public static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        // Cells are the server's words: Lethe's refuses control characters at input, but one in the way
        // (a proxy, a server that is not Lethe) could send an ESC that rewrites the reader's terminal.
        all.AddRange(rows.Select(r => (IReadOnlyList<string>)r.Select(Lethe.Domain.TerminalText.Safe).ToArray()));
        var widths = headers.Select((_, i) => all.Max(r => DisplayWidth.Of(r[i]))).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < row.Count; i++)
            {
                text.Append(row[i]);
                if (i < row.Count - 1)
                {
                    text.Append(' ', widths[i] + 2 - DisplayWidth.Of(row[i]));
                }
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
