using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lethe.Bench.ControlPlane;

/// <summary>The few calls of the control plane's HTTP API the benchmarks need; any refusal is fatal.</summary>
public sealed class Api(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<JsonElement> Post(string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        return await Read(response, "POST " + path);
    }

    public async Task<JsonElement> Get(string path)
    {
        using var response = await http.GetAsync(path);
        return await Read(response, "GET " + path);
    }

    public async Task<byte[]> GetBytes(string path)
    {
        using var response = await http.GetAsync(path);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return await response.Content.ReadAsByteArrayAsync();
    }

    public static async Task<JsonElement> Read(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {text}");
        }
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task CreatePolicy(string name) => Post("/policies", new { name, reason = "bench: create" });

    public Task AddClient(string policy, string client, string address) =>
        Post($"/policies/{policy}/clients", new { name = client, addresses = new[] { address }, reason = "bench: client" });

    /// <summary>Imports the lines as one change; returns the new rules' ids in order.</summary>
    public async Task<string[]> Import(string policy, string client, IReadOnlyList<string> lines)
    {
        var result = await Post($"/policies/{policy}/clients/{client}/rules/import",
            new { lines, replace = false, reason = "bench: import" });
        return result.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    public Task Replace(string policy, string ruleId, string rule) =>
        Post($"/policies/{policy}/rules/{ruleId}/replace", new { rule, reason = "bench: replace" });

    public async Task<int> RuleCount(string policy)
    {
        var view = await Get($"/policies/{policy}");
        return view.GetProperty("clients").EnumerateArray().Sum(c => c.GetProperty("rules").GetArrayLength());
    }
}

/// <summary>Valid Qubes firewall rules, distinct per (client, index).</summary>
public static class Rules
{
    public static string Line(int client, int index, int portSalt = 0)
    {
        var port = 1024 + (client * 1000 + index % 1000 + portSalt) % 60000;
        return $"action=accept dst4=198.51.{index / 250 % 256}.{index % 250 + 1}/32 proto=tcp dstports={port}-{port}";
    }

    public static string Address(int policy, int client) => $"10.{137 + policy % 100}.{client / 250}.{client % 250 + 1}";
}
