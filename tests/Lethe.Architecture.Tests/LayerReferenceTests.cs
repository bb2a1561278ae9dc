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
