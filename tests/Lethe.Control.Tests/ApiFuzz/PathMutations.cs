namespace Lethe.Control.Tests.ApiFuzz;

/// <summary>A path with one segment (policy, client, rule or test id) replaced by one that is odd, escaped or unknown.</summary>
internal static class PathMutations
{
    public static string Apply(string path, Random random)
    {
        var segments = path.Split('/');
        // Not the leading empty one, not "policies": a segment the route binds, or the action at the end.
        var at = segments.Length <= 2 ? 1 : random.Next(2, segments.Length);
        segments[at] = Segments[random.Next(Segments.Length)];
        return string.Join('/', segments);
    }

    private static readonly string[] Segments =
    [
        "", "%00", "%2F", "%2e%2e", "..", "%C3%28", "%FF", "%E2%80%AE", "%F0%9F%98%80", "UPPER", "r-0000", "t-0000", "latest", "-1",
        "a%20b", "x;y", "a%0Ab", new string('a', 64), new string('z', 3000), "%25", "remove", "rules", "~", "%u0041",
    ];
}
