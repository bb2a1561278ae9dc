using System.Xml.Linq;

namespace Lethe.Architecture.Tests;

/// <summary>The packet path must stay small and NativeAOT-friendly: no database driver, no web framework.</summary>
public sealed class LayerReferenceTests
{
    private static readonly string[] Forbidden =
        ["Npgsql", "Marten", "Weasel", "JasperFx", "Microsoft.AspNetCore", "Mediator", "FluentValidation", "System.CommandLine"];

    /// <summary>Microsoft.NETCore.App's own assemblies: what a program referencing nothing else may load.</summary>
    private static readonly string RuntimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;

    /// <remarks>
    /// What the compiler wrote into the assembly, so a reference the project files do not show (a
    /// framework the Sdk brings, a DLL given by path) shows here; anything outside the runtime that
    /// the row does not name fails, not only the names of packages known today.
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

    [Theory]
    [InlineData("Domain/Lethe.Domain.csproj", new string[0])]
    [InlineData("PacketPath/Lethe.PacketPath.csproj", new[] { "../Domain/Lethe.Domain.csproj" })]
    [InlineData("Application/Lethe.Application.csproj", new[] { "../Domain/Lethe.Domain.csproj" })]
    public void project_files_reference_only_the_layers_the_design_allows(string project, string[] allowedProjects)
    {
        var xml = XDocument.Load(Path.Combine(Repository.Root, project));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(allowedProjects, projects);
        Assert.DoesNotContain(packages, p => Forbidden.Where(f => f is not "Mediator" and not "FluentValidation" || !project.StartsWith("Application"))
            .Any(f => p.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void the_firewall_host_references_only_the_packet_path_and_no_database_or_web_package()
    {
        var xml = XDocument.Load(Path.Combine(Repository.Root, "Host/Firewall/Lethe.Firewall.csproj"));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(["../../PacketPath/Lethe.PacketPath.csproj"], projects);
        Assert.DoesNotContain(packages, p => Forbidden.Where(f => f != "System.CommandLine").Any(f => p.StartsWith(f, StringComparison.Ordinal)));
        Assert.Equal("true", xml.Descendants("PublishAot").Single().Value);
    }

    [Fact]
    public void infrastructure_references_the_application_layer_and_only_the_store_packages()
    {
        var xml = XDocument.Load(Path.Combine(Repository.Root, "Infrastructure/Lethe.Infrastructure.csproj"));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(["../Application/Lethe.Application.csproj"], projects);
        Assert.All(packages, p => Assert.Contains(p, new[] { "Marten", "Npgsql" }));
    }

    /// <remarks>
    /// A framework reference is not a package: ASP.NET Core comes as Microsoft.AspNetCore.App, and a
    /// program that takes it shows no trace of it among the libraries restore resolved.
    /// </remarks>
    [Fact]
    public void the_firewall_takes_no_framework_but_the_runtime_itself()
    {
        Assert.Equal(["Microsoft.NETCore.App"], RestoredProject.Read("Host/Firewall/Lethe.Firewall.csproj").Frameworks);
    }

    /// <remarks>
    /// The csproj holds only direct references; what restore resolved for the firewall (obj/project.assets.json)
    /// holds everything it ships with, so a database or web package arriving through another one shows here.
    /// </remarks>
    [Fact]
    public void nothing_the_firewall_restores_is_a_database_driver_or_web_framework()
    {
        var libraries = RestoredProject.Read("Host/Firewall/Lethe.Firewall.csproj").Libraries;

        // The list is the resolved closure, or the check below could pass on an empty one.
        Assert.Contains("Lethe.PacketPath", libraries);
        Assert.Contains("System.CommandLine", libraries);
        Assert.DoesNotContain(libraries, name => Forbidden.Where(f => f != "System.CommandLine").Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }
}
