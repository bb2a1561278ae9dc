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

    [Fact]
    public async Task a_test_with_a_port_out_of_range_names_the_port_option_and_says_what_it_must_be_in_the_words_the_user_typed()
    {
        var policy = await Host.NewPolicyWithWork("cli-names-port");

        var run = await Host.Cli("test", "add", policy, "--client", "work", "--to", "192.0.2.1", "--port", "70000",
            "--expect", "drop", "--reason", "no web");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("  --port: 'port' must be between 0 and 65535", run.Err);
        Assert.DoesNotContain("  port: ", run.Err);
        Assert.DoesNotContain("'Port'", run.Err);
    }

    [Fact]
    public async Task a_reason_the_server_refuses_names_the_reason_option()
    {
        var run = await Host.Cli("policy", "create", "cli-names-reason", "--reason", new string('r', 501));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("  --reason: ", run.Err);
        Assert.DoesNotContain("  reason: ", run.Err);
    }

    [Fact]
    public async Task a_field_given_as_an_argument_keeps_its_name_where_another_command_has_an_option_of_that_name()
    {
        // `test add` has --client; `client remove` takes the client as an argument, which no option names.
        var policy = await Host.NewPolicyWithWork("cli-names-argument");

        var run = await Host.Cli("client", "remove", policy, "Not-A-Name!", "--reason", "gone");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("  client: ", run.Err);
        Assert.DoesNotContain("--client", run.Err);
    }
}
