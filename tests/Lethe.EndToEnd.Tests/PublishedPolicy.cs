using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Lethe.TestSupport.Host;

namespace Lethe.EndToEnd.Tests;

/// <summary>
/// The real control plane with policy "home" published twice: v1 lets work reach the lab
/// (192.0.2.0/24) on 443 only; v2 also on 80. Both snapshots are written to files.
/// </summary>
public sealed class PublishedPolicy : IAsyncLifetime
{
    public ControlPlaneHost Host { get; private set; } = null!;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "lethe-e2e-" + Guid.NewGuid().ToString("N"));

    public string V1 => Path.Combine(Folder, "home-v1.json");

    public string V2 => Path.Combine(Folder, "home-v2.json");

    /// <summary>Version 2 of another policy, "guest", signed with the same key: one accept-everything rule.</summary>
    public string GuestV2 => Path.Combine(Folder, "guest-v2.json");

    /// <summary>Version 1 of policy "named": work may reach lab.example on 443 (<see cref="NamedRule"/>), nothing else.</summary>
    public string NamedV1 => Path.Combine(Folder, "named-v1.json");

    public string NamedRule { get; private set; } = "";

    public string PublicKey => Host.PublicKeyPath;

    public string HttpsRule { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // First the control plane: when it cannot start (no PostgreSQL), xunit never disposes this.
        Host = await ControlPlaneHost.Start();
        Directory.CreateDirectory(Folder);
        using var http = Host.Client();
        await Send(http, "/policies", new { name = "home", reason = "e2e" });
        await Send(http, "/policies/home/clients", new { name = "work", addresses = new[] { "10.137.0.5" }, reason = "work" });
        await Send(http, "/policies/home/clients", new { name = "personal", addresses = new[] { "10.137.0.6" }, reason = "personal" });
        HttpsRule = (await Send(http, "/policies/home/clients/work/rules",
            new { rule = "action=accept dst4=192.0.2.0/24 proto=tcp dstports=443", reason = "lab https" }))["id"]!.GetValue<string>();
        await Send(http, "/policies/home/clients/work/rules", new { rule = "action=accept specialtarget=dns", reason = "dns" });
        await Send(http, "/policies/home/clients/work/rules", new { rule = "action=drop", reason = "nothing else" });
        await Send(http, "/policies/home/publish", new { reason = "v1" });
        await File.WriteAllBytesAsync(V1, await http.GetByteArrayAsync("/policies/home/snapshots/1"));
        await Send(http, $"/policies/home/rules/{HttpsRule}/replace",
            new { rule = "action=accept dst4=192.0.2.0/24 proto=tcp dstports=80-443", reason = "lab http too" });
        await Send(http, "/policies/home/publish", new { reason = "v2" });
        await File.WriteAllBytesAsync(V2, await http.GetByteArrayAsync("/policies/home/snapshots/2"));

        await Send(http, "/policies", new { name = "guest", reason = "e2e" });
        await Send(http, "/policies/guest/clients", new { name = "work", addresses = new[] { "10.137.0.5" }, reason = "work" });
        await Send(http, "/policies/guest/publish", new { reason = "v1" });
        await Send(http, "/policies/guest/clients/work/rules", new { rule = "action=accept", reason = "everything" });
        await Send(http, "/policies/guest/publish", new { reason = "v2" });
        await File.WriteAllBytesAsync(GuestV2, await http.GetByteArrayAsync("/policies/guest/snapshots/2"));

        await Send(http, "/policies", new { name = "named", reason = "e2e" });
        await Send(http, "/policies/named/clients", new { name = "work", addresses = new[] { "10.137.0.5" }, reason = "work" });
        NamedRule = (await Send(http, "/policies/named/clients/work/rules",
            new { rule = "action=accept dsthost=lab.example proto=tcp dstports=443", reason = "lab by name" }))["id"]!.GetValue<string>();
        await Send(http, "/policies/named/clients/work/rules", new { rule = "action=drop", reason = "nothing else" });
        await Send(http, "/policies/named/publish", new { reason = "v1" });
        await File.WriteAllBytesAsync(NamedV1, await http.GetByteArrayAsync("/policies/named/snapshots/1"));
    }

    public static async Task<JsonNode> Send(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonNode.Parse(text)! : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
