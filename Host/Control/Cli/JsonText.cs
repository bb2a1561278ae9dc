using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Lethe.Control.Cli;

/// <summary>
/// `--json` output: indented as System.Text.Json indents, with strings written as the server sent them.
/// Its default encoder escapes every non-ASCII character and <c>' + &lt; &gt; &amp;</c> (for HTML pages),
/// so a reason in any language other than English, a timestamp's offset or a comment's quote came out as
/// <c>\u00E9</c>, <c>\u002B</c>, <c>\u0027</c>; its relaxed one writes bidirectional overrides raw, which a
/// terminal acts on. Here only what JSON must escape and what a terminal would act on is escaped.
/// </summary>
public static class JsonText
{
    private const string Indent = "  ";

    public static string Indented(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(text, node, 0);
        return text.ToString();
    }

    private static void Write(StringBuilder text, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj when obj.Count == 0:
                text.Append("{}");
                break;
            case JsonObject obj:
                text.Append('{');
                var firstMember = true;
                foreach (var (name, value) in obj)
                {
                    text.Append(firstMember ? "" : ",").Append('\n').Insert(text.Length, Indent, depth + 1);
                    firstMember = false;
                    WriteString(text, name);
                    text.Append(": ");
                    Write(text, value, depth + 1);
                }
                text.Append('\n').Insert(text.Length, Indent, depth).Append('}');
                break;
            case JsonArray array when array.Count == 0:
                text.Append("[]");
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",").Append('\n').Insert(text.Length, Indent, depth + 1);
                    Write(text, array[i], depth + 1);
                }
                text.Append('\n').Insert(text.Length, Indent, depth).Append(']');
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                WriteString(text, s);
                break;
            default:
                // Numbers, true, false: no character of theirs needs escaping.
                text.Append(node.ToJsonString());
                break;
        }
    }

    private static void WriteString(StringBuilder text, string s)
    {
        text.Append('"');
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                // An emoji or another character beyond the BMP: shown, not written as two escapes.
                text.Append(c).Append(s[++i]);
            }
            else if (char.IsSurrogate(c) || Lethe.Domain.TerminalText.Acts(c))
            {
                // Controls, line separators and bidirectional overrides act on a terminal; a lone surrogate is no text.
                text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }
        text.Append('"');
    }
}
