using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>
/// Real answers held against the served OpenAPI document, as a client generated from it would read
/// them: every status listed, every body of a listed media type and schema, every header named.
/// </summary>
public class OpenApiContractTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    [Fact]
    public async Task problem_answers_match_the_documented_problem_schemas()
    {
        using var editor = fixture.Host.Client(ControlPlaneHost.EditorToken);
        using var viewer = fixture.Host.Client(ControlPlaneHost.ViewerToken);
        var contract = await OpenApiContract.Load(viewer);
        await editor.CreatePolicyWithWork("contract-problems");
        await editor.AddRule("contract-problems", "work", "action=drop");
        await editor.AddTest("contract-problems", "work", "192.0.2.1", "tcp", 443, "accept");
        var mismatches = new List<string>();

        using (var badRule = await editor.Post("/policies/contract-problems/clients/work/rules", new { rule = "action=bogus", reason = "r" }))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies/{policy}/clients/{client}/rules", badRule));
        }
        using (var unknown = await viewer.GetAsync("/policies/contract-nobody"))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Get, "/policies/{policy}", unknown));
        }
        using (var duplicate = await editor.Post("/policies", new { name = "contract-problems", reason = "again" }))
        {
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies", duplicate));
        }
        using (var failing = await editor.Post("/policies/contract-problems/publish", new { reason = "ship" }))
        {
            var problem = await failing.Problem(HttpStatusCode.UnprocessableEntity);
            Assert.NotNull(problem["failures"]);
            mismatches.AddRange(await contract.Mismatches(HttpMethod.Post, "/policies/{policy}/publish", failing));
        }

        Assert.Empty(mismatches);
    }
}
