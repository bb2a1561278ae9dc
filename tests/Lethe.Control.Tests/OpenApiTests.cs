using System.Net;
using Lethe.TestSupport.Host;

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

    [Fact]
    public async Task the_document_names_what_create_answers_and_how_requests_are_refused()
    {
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);

        var document = await (await viewer.GetAsync("/openapi/v1.json")).Json();

        var create = Statuses(document["paths"]!["/policies"]!["post"]!);
        Assert.Contains("201", create);
        Assert.DoesNotContain("200", create);
        Assert.Contains("400", create);
        Assert.Contains("409", create);
        var publish = Statuses(document["paths"]!["/policies/{policy}/publish"]!["post"]!);
        Assert.Contains("200", publish);
        Assert.Contains("422", publish);
        var read = Statuses(document["paths"]!["/policies/{policy}"]!["get"]!);
        Assert.Contains("404", read);
        Assert.DoesNotContain("422", read);
    }

    [Theory]
    [InlineData("AddRuleRequest", "rule,reason", "position")]
    [InlineData("PublishRequest", "reason", "confirmWithinSeconds")]
    [InlineData("ImportRulesRequest", "reason", "replace")]
    [InlineData("AddPolicyTestRequest", "client,to,expect,reason", "proto,port,icmpType")]
    [InlineData("AddClientRequest", "name,reason,addresses", "")]
    public async Task the_document_marks_only_the_fields_a_request_needs_as_required(string schema, string required, string optional)
    {
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);

        var document = await (await viewer.GetAsync("/openapi/v1.json")).Json();

        var listed = (document["components"]!["schemas"]![schema]!["required"]?.AsArray() ?? []).Select(n => n!.GetValue<string>()).ToArray();
        foreach (var field in required.Split(','))
        {
            Assert.Contains(field, listed);
        }
        foreach (var field in optional.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.DoesNotContain(field, listed);
        }
    }

    private static string[] Statuses(System.Text.Json.Nodes.JsonNode operation) =>
        operation["responses"]!.AsObject().Select(r => r.Key).ToArray();
}
