using System.Net;
using Lethe.TestSupport;

namespace Lethe.Control.Tests;

public class OpenApiTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task the_openapi_document_describes_the_api()
    {
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);

        var response = await viewer.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var document = await response.Json();
        Assert.StartsWith("3.", document["openapi"].Str());
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToArray();
        Assert.Contains("/policies", paths);
        Assert.Contains("/policies/{policy}/clients/{client}/rules", paths);
        Assert.Contains("/policies/{policy}/publish", paths);
        Assert.Contains("/policies/{policy}/rollback", paths);
        Assert.Contains("/policies/{policy}/history", paths);
        Assert.Contains("/policies/{policy}/snapshots/{version}", paths);
    }
}
