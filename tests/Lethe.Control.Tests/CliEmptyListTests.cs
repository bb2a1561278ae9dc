using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>A list with nothing in it says so and how to start one, rather than print a header over nothing.</summary>
public sealed class CliEmptyListTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task a_policy_never_published_says_it_has_no_sealed_versions_and_json_gives_an_empty_list()
    {
        using var editor = fixture.Host.Client();
        await editor.CreatePolicyWithWork("cli-empty-snapshots");

        var text = await fixture.Host.Cli("snapshot", "list", "cli-empty-snapshots");
        var json = await fixture.Host.Cli("snapshot", "list", "cli-empty-snapshots", "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Equal("policy cli-empty-snapshots has no sealed versions yet: lethe publish POLICY -m WHY seals one", text.Line);
        Assert.Equal(0, json.ExitCode);
        Assert.Equal("[]", json.Line);
    }

    [Fact]
    public async Task a_policy_without_tests_says_so_until_one_is_added()
    {
        using var editor = fixture.Host.Client();
        await editor.CreatePolicyWithWork("cli-empty-tests");

        var before = await fixture.Host.Cli("test", "list", "cli-empty-tests");
        var added = await fixture.Host.Cli("test", "add", "cli-empty-tests", "--client", "work", "--to", "192.0.2.9", "--port", "443",
            "--expect", "drop", "-m", "nothing reaches it");
        var after = await fixture.Host.Cli("test", "list", "cli-empty-tests");

        Assert.Equal(0, before.ExitCode);
        Assert.Equal("policy cli-empty-tests has no tests: lethe test add POLICY ... adds one", before.Line);
        Assert.Equal(0, added.ExitCode);
        Assert.StartsWith("ID", after.Line);
        Assert.Contains("192.0.2.9", after.Out);
    }

    [Fact]
    public async Task a_control_plane_without_policies_says_how_to_make_one()
    {
        await using var fresh = await ControlPlaneHost.Start();

        var empty = await fresh.Cli("policy", "list");
        using var editor = fresh.Client();
        await editor.CreatePolicyWithWork("first");
        var one = await fresh.Cli("policy", "list");

        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("no policies yet: lethe policy create NAME -m WHY makes one", empty.Line);
        Assert.StartsWith("POLICY", one.Line);
        Assert.Contains("first", one.Out);
    }
}
