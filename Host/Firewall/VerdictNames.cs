using System.Text;
using Lethe.PacketPath.Wire;

namespace Lethe.Firewall;

/// <summary>Drop reasons as kebab-case words, computed once so the per-packet output allocates no strings.</summary>
public static class VerdictNames
{
    private static readonly string[] Names = Enum.GetValues<DropReason>().Select(r => Kebab(r.ToString())).ToArray();

    public static string Of(DropReason reason) => Names[(int)reason];

    internal static string Kebab(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('-');
            }
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }
}
