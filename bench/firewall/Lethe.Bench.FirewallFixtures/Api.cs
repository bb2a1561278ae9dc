using System.Net;
using System.Net.Http.Json;

namespace Lethe.Bench.FirewallFixtures;

/// <summary>The control-plane calls the fixtures need; any refusal is fatal.</summary>
public sealed class Api(HttpClient http)
{
    /// <summary>Creates the policy, adds its clients, imports their rules, publishes; returns the sealed snapshot's bytes.</summary>
    public async Task<byte[]> PublishFleet(string policy, IReadOnlyList<QubesClient> fleet)
    {
        await Post("/policies", new { name = policy, reason = "bench/firewall: fixture policy" });
        foreach (var client in fleet)
        {
            await Post($"/policies/{policy}/clients", new { name = client.Name, addresses = client.Addresses, reason = "bench/firewall: qube" });
            await Post($"/policies/{policy}/clients/{client.Name}/rules/import",
                new { lines = client.Rules, replace = false, reason = "bench/firewall: rules as qvm-firewall --raw lists them" });
        }
        await Post($"/policies/{policy}/publish", new { reason = "bench/firewall: snapshot to boot from" });
        using var response = await http.GetAsync($"/policies/{policy}/snapshots/latest");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /policies/{policy}/snapshots/latest: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task Post(string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
