using Lethe.Firewall;

namespace Lethe.EndToEnd.Tests.Nft;

/// <summary>
/// nft names interfaces the way Linux does (any 1 to 15 characters but quote, slash, colon, blank and *), but not one no
/// interface can have: '.' and '..' (the kernel's own names in sysfs) and 'all' and 'default' (its sysctl trees, which boot
/// refuses for a TUN device too). A ruleset matching iifname "all" would load and never match.
/// </summary>
public sealed class NftInterfaceNameTests(PublishedPolicy policy) : IClassFixture<PublishedPolicy>
{
    [Theory]
    [InlineData("--uplink-interface", "all")]
    [InlineData("--uplink-interface", "default")]
    [InlineData("--uplink-interface", ".")]
    [InlineData("--uplink-interface", "..")]
    [InlineData("--client-interface", "work=all")]
    [InlineData("--client-interface", "work=..")]
    public async Task a_name_no_interface_can_have_is_a_flag_error(string flag, string value)
    {
        var (code, output, error) = await Run(flag, value);

        Assert.Equal(2, code);
        Assert.StartsWith($"error: {flag}", error);
        Assert.Contains("is not an interface name", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--uplink-interface", "vif1.0")]
    [InlineData("--uplink-interface", "@wan")] // Linux takes it, so nft does
    [InlineData("--client-interface", "work=all0")]
    public async Task a_name_linux_takes_is_taken(string flag, string value)
    {
        var (code, output, error) = await Run(flag, value);

        Assert.Equal((0, ""), (code, error));
        Assert.Contains($"\"{value.Split('=')[^1]}\"", output);
    }

    private async Task<(int Code, string Out, string Err)> Run(string flag, string value)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await FirewallCli.Run(["nft", "--snapshot", policy.V1, "--trust", policy.PublicKey, flag, value], output, error);
        return (code, output.ToString(), error.ToString());
    }
}
