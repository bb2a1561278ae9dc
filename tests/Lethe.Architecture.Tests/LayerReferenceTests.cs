using System.Xml.Linq;

namespace Lethe.Architecture.Tests;

/// <summary>
/// DESIGN.md's table "Layers and what each may reference", row by row, as allow-lists: a reference
/// the row does not name fails, whatever it is. The packet path above all must stay small and
/// NativeAOT-friendly: no database driver, no web framework.
/// </summary>
public sealed class LayerReferenceTests
{
    private static readonly string[] Runtime = ["Microsoft.NETCore.App"];

    /// <summary>Microsoft.NETCore.App's own assemblies: what a program referencing nothing else may load.</summary>
    private static readonly string RuntimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    private static readonly string[] DatabaseOrWeb =
        ["Npgsql", "Marten", "Weasel", "JasperFx", "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Mediator", "FluentValidation"];

    /// <summary>Per row: the project, and the projects, packages and shared frameworks it may reference directly.</summary>
    public static TheoryData<string, string[], string[], string[]> Rows => new()
    {
        { "Domain/Lethe.Domain.csproj", [], [], Runtime },
        { "Application/Lethe.Application.csproj", ["Lethe.Domain"], ["Mediator.Abstractions", "FluentValidation"], Runtime },
        // Marten is the event store; Npgsql is its driver, which the migrations runner also uses directly, referenced
        // explicitly (DESIGN.md, "Dependencies"). The DI and logging abstractions Infrastructure uses come with Marten.
        { "Infrastructure/Lethe.Infrastructure.csproj", ["Lethe.Application", "Lethe.Domain"], ["Marten", "Npgsql"], Runtime },
        { "PacketPath/Lethe.PacketPath.csproj", ["Lethe.Domain"], [], Runtime },
        // The composition root's: the mediator's generated dispatch, validator registration, the CLI,
        // the OpenAPI document; ASP.NET Core itself comes with Microsoft.NET.Sdk.Web.
        {
            "Host/Control/Lethe.Control.csproj", ["Lethe.Application", "Lethe.Infrastructure"],
            ["Mediator.SourceGenerator", "FluentValidation.DependencyInjectionExtensions", "System.CommandLine", "Microsoft.AspNetCore.OpenApi"],
            [.. Runtime, "Microsoft.AspNetCore.App"]
        },
        { "Host/Firewall/Lethe.Firewall.csproj", ["Lethe.PacketPath", "Lethe.Domain"], ["System.CommandLine"], Runtime },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void each_project_references_only_the_projects_packages_and_frameworks_its_row_allows(
        string project, string[] projects, string[] packages, string[] frameworks)
    {
        var restored = RestoredProject.Read(project);

        var refused = restored.Projects.Except(projects).Select(p => $"project {p}")
            .Concat(restored.Packages.Except(packages).Select(p => $"package {p}"))
            .Concat(restored.Frameworks.Except(frameworks).Select(f => $"framework {f}"))
            .ToArray();

        Assert.True(refused.Length == 0,
            $"{project} references {string.Join(", ", refused)}, which its row ({Path.GetDirectoryName(project)}/) of DESIGN.md's layer table does not allow");
    }

    /// <remarks>The allow-lists above would pass on nothing read: what restore resolved holds at least what each csproj names.</remarks>
    [Fact]
    public void what_restore_resolved_holds_every_reference_the_project_files_name()
    {
        foreach (var project in Rows.Select(row => (string)row[0]))
        {
            var xml = XDocument.Load(Path.Combine(RepositoryPaths.Root, project));
            var restored = RestoredProject.Read(project);

            Assert.Subset(restored.Projects.ToHashSet(),
                xml.Descendants("ProjectReference").Select(e => Path.GetFileNameWithoutExtension((string)e.Attribute("Include")!)).ToHashSet());
            Assert.Subset(restored.Packages.ToHashSet(), xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToHashSet());
            Assert.Contains("Microsoft.NETCore.App", restored.Frameworks);
        }
    }

    /// <remarks>
    /// What the compiler wrote into the assembly, so a reference the project files do not show (a
    /// DLL given by path, say) shows here; anything outside the runtime that the row does not name fails.
    /// </remarks>
    [Theory]
    [InlineData(typeof(Lethe.Domain.DomainException), new string[0])]
    [InlineData(typeof(Lethe.PacketPath.Wire.NetAddress), new[] { "Lethe.Domain" })]
    [InlineData(typeof(Lethe.Firewall.BootCommand), new[] { "Lethe.PacketPath", "Lethe.Domain", "System.CommandLine" })]
    public void domain_packet_path_and_firewall_assemblies_reference_only_the_runtime_and_the_layers_below(Type marker, string[] allowed)
    {
        var outside = marker.Assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(name => !File.Exists(Path.Combine(RuntimeDirectory, name + ".dll")))
            .Except(allowed).ToArray();

        Assert.True(outside.Length == 0,
            $"{marker.Assembly.GetName().Name}.dll references {string.Join(", ", outside)}, which DESIGN.md's layer table does not allow it");
    }

    /// <remarks>
    /// The rows above hold only direct references; what restore resolved (obj/project.assets.json)
    /// holds everything the project ships with, so a database or web package arriving through an
    /// allowed one shows here.
    /// </remarks>
    [Theory]
    [InlineData("Domain/Lethe.Domain.csproj", new string[0])]
    [InlineData("PacketPath/Lethe.PacketPath.csproj", new[] { "Lethe.Domain" })]
    [InlineData("Host/Firewall/Lethe.Firewall.csproj", new[] { "Lethe.PacketPath", "Lethe.Domain", "System.CommandLine" })]
    public void nothing_the_packet_path_side_restores_is_a_database_driver_or_web_framework(string project, string[] surelyRestored)
    {
        var libraries = RestoredProject.Read(project).Libraries;

        // The list is the resolved closure, or the check below could pass on an empty one.
        Assert.Subset(libraries.ToHashSet(), surelyRestored.ToHashSet());
        Assert.DoesNotContain(libraries, name => DatabaseOrWeb.Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void the_firewall_is_published_with_nativeaot()
    {
        var xml = XDocument.Load(Path.Combine(RepositoryPaths.Root, "Host/Firewall/Lethe.Firewall.csproj"));

        Assert.Equal("true", xml.Descendants("PublishAot").Single().Value);
    }
}
