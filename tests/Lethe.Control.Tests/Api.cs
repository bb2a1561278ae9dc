using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Lethe.Control.Tests;

/// <summary>Small helpers for talking to the control plane's HTTP API the way a client would.</summary>
internal static class Api
{
    public static async Task<HttpResponseMessage> Send(this HttpClient http, HttpMethod method, string path, object? body = null,
        long? ifMatch = null, string? correlationId = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (ifMatch is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        }
        if (correlationId is not null)
        {
            request.Headers.Add("X-Correlation-Id", correlationId);
        }
        return await http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> Post(this HttpClient http, string path, object body, long? ifMatch = null, string? correlationId = null) =>
        http.Send(HttpMethod.Post, path, body, ifMatch, correlationId);

    /// <summary>Sends and insists on a 2xx answer, returning its JSON body.</summary>
    public static async Task<JsonNode> Ok(this Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"expected success, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> Json(this HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>Asserts the status and that the answer is problem details; returns them.</summary>
    public static async Task<JsonNode> Problem(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        return problem;
    }

    public static string Str(this JsonNode? node) => node?.GetValue<string>() ?? "";

    /// <summary>The keys of a validation problem's errors object.</summary>
    public static string[] ErrorKeys(this JsonNode problem) => problem["errors"]!.AsObject().Select(e => e.Key).OrderBy(k => k, StringComparer.Ordinal).ToArray();

    public static string ErrorText(this JsonNode problem, string key) => string.Join(" ", problem["errors"]![key]!.AsArray().Select(m => m.Str()));

    public static long ETag(this HttpResponseMessage response) =>
        long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<JsonNode> Policy(this HttpClient http, string policy) => await http.GetAsync($"/policies/{policy}").Ok();

    public static async Task<long> VersionOf(this HttpClient http, string policy) => (await http.Policy(policy))["version"]!.GetValue<long>();

    public static async Task<string[]> RuleIds(this HttpClient http, string policy, string client) =>
        (await http.Policy(policy))["clients"]!.AsArray().Single(c => c!["name"].Str() == client)!["rules"]!.AsArray()
            .Select(r => r!["id"].Str()).ToArray();

    public static async Task<string[]> RuleTexts(this HttpClient http, string policy, string client) =>
        (await http.Policy(policy))["clients"]!.AsArray().Single(c => c!["name"].Str() == client)!["rules"]!.AsArray()
            .Select(r => r!["rule"].Str()).ToArray();

    public static async Task<JsonArray> History(this HttpClient http, string policy) =>
        (await http.GetAsync($"/policies/{policy}/history").Ok()).AsArray();

    public static async Task<JsonArray> Snapshots(this HttpClient http, string policy) =>
        (await http.GetAsync($"/policies/{policy}/snapshots").Ok()).AsArray();

    // ---- building policies -------------------------------------------------------------------

    public static async Task CreatePolicy(this HttpClient http, string policy) =>
        await http.Post("/policies", new { name = policy, reason = "set up " + policy }).Ok();

    public static async Task AddClient(this HttpClient http, string policy, string client, params string[] addresses) =>
        await http.Post($"/policies/{policy}/clients", new { name = client, addresses, reason = "add " + client }).Ok();

    /// <summary>A policy with one client, work at 10.137.0.10.</summary>
    public static async Task CreatePolicyWithWork(this HttpClient http, string policy)
    {
        await http.CreatePolicy(policy);
        await http.AddClient(policy, "work", "10.137.0.10");
    }

    public static async Task<string> AddRule(this HttpClient http, string policy, string client, string rule, int? position = null) =>
        (await http.Post($"/policies/{policy}/clients/{client}/rules", new { rule, position, reason = "allow what " + client + " needs" }).Ok())["id"].Str();

    public static async Task<string> AddTest(this HttpClient http, string policy, string client, string to, string proto, int? port, string expect) =>
        (await http.Post($"/policies/{policy}/tests", new { client, to, proto, port, expect, reason = "guard " + to }).Ok())["id"].Str();

    public static async Task<JsonNode> Publish(this HttpClient http, string policy, int? confirmWithinSeconds = null) =>
        await http.Post($"/policies/{policy}/publish", new { reason = "ship it", confirmWithinSeconds }).Ok();
}
