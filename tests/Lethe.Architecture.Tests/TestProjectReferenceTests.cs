namespace Lethe.Architecture.Tests;

/// <summary>
/// DESIGN.md's row for tests/: each test project may reference the layer under test. Through
/// every project reference, support projects included, it reaches that layer and the layers that
/// one references, and no host but where the host is what it tests.
/// </summary>
public sealed class TestProjectReferenceTests
{
    /// <summary>Per project under tests/: the production projects it may reach.</summary>
    public static TheoryData<string, string[]> Rows => new()
    {
        { "tests/Lethe.Domain.Tests/Lethe.Domain.Tests.csproj", ["Lethe.Domain"] },
        // Its use cases run against the real PostgreSQL-backed store, as every test touching storage does.
        { "tests/Lethe.Application.Tests/Lethe.Application.Tests.csproj", ["Lethe.Application", "Lethe.Domain", "Lethe.Infrastructure"] },
        { "tests/Lethe.Infrastructure.Tests/Lethe.Infrastructure.Tests.csproj", ["Lethe.Infrastructure", "Lethe.Application", "Lethe.Domain"] },
        { "tests/Lethe.PacketPath.Tests/Lethe.PacketPath.Tests.csproj", ["Lethe.PacketPath", "Lethe.Domain"] },
        { "tests/Lethe.Control.Tests/Lethe.Control.Tests.csproj", ["Lethe.Control", "Lethe.Application", "Lethe.Infrastructure", "Lethe.Domain"] },
        {
            "tests/Lethe.EndToEnd.Tests/Lethe.EndToEnd.Tests.csproj",
            ["Lethe.Firewall", "Lethe.PacketPath", "Lethe.Control", "Lethe.Application", "Lethe.Infrastructure", "Lethe.Domain"]
        },
        // It checks the compiled references of these; the other layers it only reads from disk.
        { "tests/Lethe.Architecture.Tests/Lethe.Architecture.Tests.csproj", ["Lethe.Firewall", "Lethe.PacketPath", "Lethe.Domain"] },
        { "tests/Lethe.TestSupport/Lethe.TestSupport.csproj", ["Lethe.Infrastructure", "Lethe.Application", "Lethe.Domain"] },
        { "tests/Lethe.TestSupport.Host/Lethe.TestSupport.Host.csproj", ["Lethe.Control", "Lethe.Application", "Lethe.Infrastructure", "Lethe.Domain"] },
    };

    /// <remarks>
    /// Projects under tests/ and bench/ are not layers: PacketPath.Tests reaches the packet-path
    /// benchmarks, which reach only PacketPath and Domain, to check that their setup still measures
    /// what their names say; Control.Tests reaches the control-plane benchmark, to run its command line.
    /// </remarks>
    [Theory]
    [MemberData(nameof(Rows))]
    public void each_test_project_reaches_only_the_layer_under_test_and_the_layers_below_it(string project, string[] layers)
    {
        var reached = RestoredProject.Read(project).ReachedProjects
            .Where(path => !path.StartsWith("tests/", StringComparison.Ordinal) && !path.StartsWith("bench/", StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension)
            .ToArray();

        // The list is what restore walked, or the check below could pass on an empty one.
        Assert.Contains(layers[0], reached);
        var beyond = reached.Except(layers).ToArray();
        Assert.True(beyond.Length == 0,
            $"{project} reaches {string.Join(", ", beyond)} through its project references, beyond the layer it tests and those below it");
    }

    [Fact]
    public void every_project_under_tests_has_a_row()
    {
        var projects = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, path))
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal));

        var missing = projects.Except(Rows.Select(row => (string)row[0])).ToArray();
        Assert.True(missing.Length == 0, $"no row for {string.Join(", ", missing)}: give it the layers it may reach");
    }
}
