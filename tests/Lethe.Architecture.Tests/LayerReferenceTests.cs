using System.Reflection;
using System.Xml.Linq;

namespace Lethe.Architecture.Tests;

/// <summary>The packet path must stay small and NativeAOT-friendly: no database driver, no web framework.</summary>
public sealed class LayerReferenceTests
{
    private static readonly string[] Forbidden =
        ["Npgsql", "Marten", "Weasel", "JasperFx", "Microsoft.AspNetCore", "Mediator", "FluentValidation", "System.CommandLine"];

    [Theory]
    [InlineData(typeof(Lethe.Domain.DomainException))]
    [InlineData(typeof(Lethe.PacketPath.Wire.NetAddress))]
    public void domain_and_packet_path_assemblies_reference_no_database_or_web_package(Type marker)
    {
        var references = marker.Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.DoesNotContain(references, name => Forbidden.Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Domain/Lethe.Domain.csproj", new string[0])]
    [InlineData("PacketPath/Lethe.PacketPath.csproj", new[] { "../Domain/Lethe.Domain.csproj" })]
    [InlineData("Application/Lethe.Application.csproj", new[] { "../Domain/Lethe.Domain.csproj" })]
    public void project_files_reference_only_the_layers_the_design_allows(string project, string[] allowedProjects)
    {
        var xml = XDocument.Load(Path.Combine(Root, project));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(allowedProjects, projects);
        Assert.DoesNotContain(packages, p => Forbidden.Where(f => f is not "Mediator" and not "FluentValidation" || !project.StartsWith("Application"))
            .Any(f => p.StartsWith(f, StringComparison.Ordinal)));
    }

    [Fact]
    public void the_firewall_host_references_only_the_packet_path_and_no_database_or_web_package()
    {
        var xml = XDocument.Load(Path.Combine(Root, "Host/Firewall/Lethe.Firewall.csproj"));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(["../../PacketPath/Lethe.PacketPath.csproj"], projects);
        Assert.DoesNotContain(packages, p => Forbidden.Where(f => f != "System.CommandLine").Any(f => p.StartsWith(f, StringComparison.Ordinal)));
        Assert.Equal("true", xml.Descendants("PublishAot").Single().Value);
    }

    [Fact]
    public void infrastructure_references_the_application_layer_and_only_the_store_packages()
    {
        var xml = XDocument.Load(Path.Combine(Root, "Infrastructure/Lethe.Infrastructure.csproj"));
        var projects = xml.Descendants("ProjectReference").Select(e => (string)e.Attribute("Include")!).ToArray();
        var packages = xml.Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToArray();

        Assert.Equal(["../Application/Lethe.Application.csproj"], projects);
        Assert.All(packages, p => Assert.Contains(p, new[] { "Marten", "Npgsql" }));
    }

    /// <remarks>
    /// The csproj holds only direct references; what restore resolved for the firewall (obj/project.assets.json)
    /// holds everything it ships with, so a database or web package arriving through another one shows here.
    /// </remarks>
    [Fact]
    public void nothing_the_firewall_restores_is_a_database_driver_or_web_framework()
    {
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "Host/Firewall/obj/project.assets.json")));
        var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToArray();

        // The list is the resolved closure, or the check below could pass on an empty one.
        Assert.Contains("Lethe.PacketPath", libraries);
        Assert.Contains("System.CommandLine", libraries);
        Assert.DoesNotContain(libraries, name => Forbidden.Where(f => f != "System.CommandLine").Any(f => name.StartsWith(f, StringComparison.Ordinal)));
    }

    private static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lethe.sln")))
            {
                dir = dir.Parent;
            }
            return dir!.FullName;
        }
    }
}
