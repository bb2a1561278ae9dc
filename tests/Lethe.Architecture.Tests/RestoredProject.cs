using System.Text.Json;

namespace Lethe.Architecture.Tests;

/// <summary>
/// What restore resolved for a project (its obj/project.assets.json). The csproj alone misses what
/// the Sdk attribute and Directory.*.props add: Microsoft.NET.Sdk.Web, say, adds ASP.NET Core as a
/// framework reference without a line in the csproj.
/// </summary>
public sealed record RestoredProject(string[] Frameworks, string[] Libraries)
{
    /// <param name="project">The csproj, relative to the repository root.</param>
    public static RestoredProject Read(string project)
    {
        var file = Path.Combine(Repository.Root, Path.GetDirectoryName(project)!, "obj", "project.assets.json");
        using var assets = JsonDocument.Parse(File.ReadAllText(file));
        var root = assets.RootElement;
        var frameworks = root.GetProperty("project").GetProperty("frameworks").EnumerateObject()
            .SelectMany(f => f.Value.TryGetProperty("frameworkReferences", out var references) ? references.EnumerateObject().Select(r => r.Name) : [])
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        var libraries = root.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToArray();
        return new RestoredProject(frameworks, libraries);
    }
}
