using System.Text.Json.Nodes;
using Lethe.Control.Server;

namespace Lethe.Control.Tests;

public class LoopbackBindingTests
{
    [Fact]
    public void the_default_listening_address_is_loopback()
    {
        Assert.StartsWith("http://127.0.0.1:", new ControlPlaneSettings().Urls);
    }

    [Fact]
    public void the_shipped_appsettings_listen_on_loopback()
    {
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;

        Assert.StartsWith("http://127.0.0.1:", settings["Lethe"]!["Urls"].Str());
    }
}
