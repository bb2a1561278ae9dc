using System.Text;

namespace Lethe.Control.Cli;

/// <summary>Left-aligned columns sized to their widest cell, in terminal columns.</summary>
public static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
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
