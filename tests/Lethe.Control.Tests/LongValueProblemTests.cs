using System.Net;
using Lethe.TestSupport.Host;

namespace Lethe.Control.Tests;

/// <summary>A request with a megabyte value is refused in problem details a person can read: the value's start and its length, not all of it.</summary>
public class LongValueProblemTests(HostFixture fixture) : IClassFixture<HostFixture>, IAsyncLifetime
{
    private const int Short = 300;
    private static readonly string Megabyte = new('a', 1_048_576);

    private ControlPlaneHost Host => fixture.Host;

    public async Task InitializeAsync()
    {
        using var editor = Host.Client();
        if ((await editor.GetAsync("/policies/long")).StatusCode == HttpStatusCode.NotFound)
        {
            await editor.CreatePolicyWithWork("long");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task a_rule_with_a_megabyte_unknown_key_is_refused_under_rule_rule_in_a_short_message()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/long/clients/work/rules", new { rule = $"action=accept {Megabyte}=1", reason = "fuzz" });

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["rule.rule"], problem.ErrorKeys());
        var message = problem.ErrorText("rule.rule");
        Assert.True(message.Length < Short, $"{message.Length} characters");
        Assert.StartsWith("unknown key 'aaaa", message);
        Assert.Contains("...' (1,048,576 characters)", message);
    }

    [Fact]
    public async Task a_client_with_a_megabyte_address_is_refused_in_a_short_message()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/long/clients", new { name = "big", addresses = new[] { Megabyte }, reason = "fuzz" });

        await RefusedAsAShortAddress(response);
    }

    [Fact]
    public async Task a_policy_test_to_a_megabyte_address_is_refused_in_a_short_message()
    {
        using var editor = Host.Client();

        var response = await editor.Post("/policies/long/tests", new { client = "work", to = Megabyte, proto = "tcp", port = 443, expect = "accept", reason = "fuzz" });

        await RefusedAsAShortAddress(response);
    }

    private static async Task RefusedAsAShortAddress(HttpResponseMessage response)
    {
        var problem = await response.Problem(HttpStatusCode.BadRequest);
        var key = Assert.Single(problem.ErrorKeys());
        var message = problem.ErrorText(key);
        Assert.True(message.Length < Short, $"{message.Length} characters");
        Assert.Equal("'" + new string('a', Domain.QuotedText.MaxShown) + "...' (1,048,576 characters) is not an IPv4 or IPv6 address.", message);
    }

    [Fact]
    public async Task a_body_with_a_megabyte_field_name_is_refused_under_body_in_a_short_message()
    {
        using var editor = Host.Client();
        var body = new System.Text.Json.Nodes.JsonObject { ["rule"] = "action=accept", ["reason"] = "fuzz", [Megabyte] = 1 };
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

        using var response = await editor.PostAsync("/policies/long/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Equal(["body"], problem.ErrorKeys());
        Assert.Equal("'" + new string('a', Domain.QuotedText.MaxShown) + "...' (1,048,576 characters) is not a field of this request (misspelt?); nothing was changed",
            problem.ErrorText("body"));
        Assert.True(problem["detail"].Str().Length < Short, $"{problem["detail"].Str().Length} characters");
    }

    [Fact]
    public async Task a_body_giving_a_megabyte_field_twice_is_refused_in_a_short_message()
    {
        using var editor = Host.Client();
        var json = $"{{\"rule\": \"action=accept\", \"reason\": \"fuzz\", \"{Megabyte}\": 1, \"{Megabyte}\": 2}}";
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        using var response = await editor.PostAsync("/policies/long/clients/work/rules", content);

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.True(problem.ToJsonString().Length < 4 * Short, $"{problem.ToJsonString().Length} characters");
    }

    /// <summary>A query value or header is bounded by the server's limits (8 KiB a request line), still a wall of text quoted whole.</summary>
    [Theory]
    [InlineData("/policies/long?at={0}", "at", "'at' must be an ISO 8601 time")]
    [InlineData("/policies/long/history?limit={0}", "limit", "'limit' must be a whole number")]
    [InlineData("/policies/long/history?before={0}", "before", "'before' must be an entry's sequence")]
    public async Task a_query_value_of_thousands_of_characters_is_refused_in_a_short_message(string path, string key, string start)
    {
        using var editor = Host.Client();

        using var response = await editor.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, new string('9', 4000) + "x"));

        var problem = await response.Problem(HttpStatusCode.BadRequest);
        var message = problem.ErrorText(key);
        Assert.True(message.Length < Short, $"{message.Length} characters");
        Assert.StartsWith(start, message);
        Assert.EndsWith("...' (4,001 characters).", message);
    }

    [Fact]
    public async Task a_body_in_a_charset_named_by_thousands_of_characters_is_refused_in_a_short_message()
    {
        using var editor = Host.Client();
        using var content = new StringContent("{}");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("application/json; charset=" + new string('x', 4000));

        using var response = await editor.PostAsync("/policies/long/clients/work/rules", content);

        var detail = (await response.Problem(HttpStatusCode.UnsupportedMediaType))["detail"].Str();
        Assert.True(detail.Length < Short, $"{detail.Length} characters");
        Assert.StartsWith("The Content-Type names charset 'xxxx", detail);
    }
}
