using Lethe.Application.Common;
using Lethe.Control.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Lethe.Control.Tests;

/// <summary>
/// Lethe:DnsResolvers decides what specialtarget=dns means in publish-time policy tests, so it
/// must say the same as the firewall's --dns: the resolvers configured, and only those.
/// </summary>
public sealed class DnsResolverSettingsTests
{
    private static string[] Resolvers(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Lethe"] = "Host=127.0.0.1;Database=never-opened",
            ["Lethe:SigningKey"] = "/nonexistent/signing.pem",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        var app = ControlPlane.Build([], settings);
        return app.Services.GetRequiredService<ControlPlaneOptions>().DnsResolvers.Select(a => a.ToString()).ToArray();
    }

    [Fact]
    public void configured_resolvers_replace_the_qubes_ones() =>
        Assert.Equal(["192.0.2.53", "2001:db8::53"], Resolvers(("Lethe:DnsResolvers:0", "192.0.2.53"), ("Lethe:DnsResolvers:1", "2001:db8::53")));

    [Fact]
    public void without_configuration_they_are_the_qubes_ones() =>
        Assert.Equal(["10.139.1.1", "10.139.1.2"], Resolvers());

    [Fact]
    public void an_entry_that_is_not_an_address_stops_the_server_naming_the_setting()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Resolvers(("Lethe:DnsResolvers:0", "192.0.2.53"), ("Lethe:DnsResolvers:1", "dns.example")));

        Assert.Equal("Lethe:DnsResolvers:1: 'dns.example' is not an IPv4 or IPv6 address", refused.Message);
    }
}
