using System.Text.Json;

namespace Lethe.Architecture.Tests;

/// <summary>
/// What restore resolved for a project (its obj/project.assets.json). The csproj alone misses what
/// the Sdk attribute and Directory.*.props add: Microsoft.NET.Sdk.Web, say, adds ASP.NET Core as a
/// framework reference without a line in the csproj.
/// </summary>
/// <param name="Projects">Projects it references directly, by file name.</param>
/// <param name="Packages">Packages it references directly, but the SDK's own build tools.</param>
/// <param name="Frameworks">Shared frameworks it references (Microsoft.NETCore.App, Microsoft.AspNetCore.App).</param>
/// <param name="Libraries">Every package and project it ends up with, directly or through another.</param>
/// <param name="ReachedProjects">Every project among those, by its path from the repository root.</param>
public sealed record RestoredProject(string[] Projects, string[] Packages, string[] Frameworks, string[] Libraries, string[] ReachedProjects)
{
    /// <summary>What the SDK adds for IsAotCompatible and PublishAot: the trimmer and the NativeAOT compiler, run at build time.</summary>
    private static readonly string[] SdkTools = ["Microsoft.NET.ILLink.Tasks", "Microsoft.DotNet.ILCompiler"];

    /// <param name="project">The csproj, relative to the repository root.</param>
    public static RestoredProject Read(string project)
    {
        var file = Path.Combine(RepositoryPaths.Root, Path.GetDirectoryName(project)!, "obj", "project.assets.json");
        using var assets = JsonDocument.Parse(File.ReadAllText(file));
        var root = assets.RootElement;
        var frameworks = root.GetProperty("project").GetProperty("frameworks").EnumerateObject().Select(f => f.Value).ToArray();
        var projects = root.GetProperty("project").GetProperty("restore").GetProperty("frameworks").EnumerateObject()
            .SelectMany(f => f.Value.GetProperty("projectReferences").EnumerateObject().Select(p => Path.GetFileNameWithoutExtension(p.Name)));
        var packages = frameworks
            .SelectMany(f => f.TryGetProperty("dependencies", out var dependencies) ? dependencies.EnumerateObject() : [])
            .Where(d => !(SdkTools.Contains(d.Name) && d.Value.TryGetProperty("autoReferenced", out var auto) && auto.GetBoolean()))
            .Select(d => d.Name);
        var frameworkReferences = frameworks
            .SelectMany(f => f.TryGetProperty("frameworkReferences", out var references) ? references.EnumerateObject().Select(r => r.Name) : []);
        var libraries = root.GetProperty("libraries").EnumerateObject().ToArray();
        // A library's path is relative to the project's folder; an exe's library name is its assembly's (lethe), not its project's.
        var reached = libraries.Where(l => l.Value.GetProperty("type").GetString() == "project")
            .Select(l => Path.GetRelativePath(RepositoryPaths.Root,
                Path.GetFullPath(Path.Combine(RepositoryPaths.Root, Path.GetDirectoryName(project)!, l.Value.GetProperty("path").GetString()!))));
        return new RestoredProject(Sorted(projects), Sorted(packages), Sorted(frameworkReferences),
            Sorted(libraries.Select(l => l.Name.Split('/')[0])), Sorted(reached));
    }

    private static string[] Sorted(IEnumerable<string> names) => names.Distinct().Order(StringComparer.Ordinal).ToArray();
}
