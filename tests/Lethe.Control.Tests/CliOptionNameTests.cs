using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>A refused value is named by the option the user typed, not by the API field it travelled in.</summary>
public class CliOptionNameTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private ControlPlaneHost Host => fixture.Host;

    [Fact]
    public async Task rollback_to_a_version_below_one_names_the_to_option()
    {
        var policy = await Host.NewPolicyWithWork("cli-names-rollback");

        var run = await Host.Cli("rollback", policy, "--to", "0", "--reason", "back");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--to: The version to roll back to is a published version, 1 or more, not 0.", run.Err);
        Assert.DoesNotContain("toVersion", run.Err);
        Assert.DoesNotContain("To Version", run.Err);
    }

    [Fact]
    public async Task a_test_with_an_icmp_type_out_of_range_names_the_icmp_type_option()
    {
        var policy = await Host.NewPolicyWithWork("cli-names-icmp");

        var run = await Host.Cli("test", "add", policy, "--client", "work", "--to", "192.0.2.1", "--proto", "icmp",
            "--icmp-type", "300", "--expect", "drop", "--reason", "no pings");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--icmp-type: An ICMP type is a number from 0 to 255, not 300.", run.Err);
        Assert.DoesNotContain("icmpType", run.Err);
        Assert.DoesNotContain("Icmp Type", run.Err);
    }

    [Fact]
    public async Task a_bad_second_address_names_that_address_option()
    {
        var policy = await Host.NewPolicyWithWork("cli-names-address");

        var run = await Host.Cli("client", "add", policy, "mail", "--address", "192.0.2.20", "--address", "192.0.2.300", "--reason", "mail vm");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("--address #2:", run.Err);
        Assert.Contains("192.0.2.300", run.Err);
        Assert.DoesNotContain("addresses", run.Err);
    }
}
