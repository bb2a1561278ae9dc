namespace Lethe.EndToEnd.Tests.Live;

/// <summary>A client of a live test policy: its name, addresses and rules in the Qubes rule format, in order.</summary>
public sealed record LiveClient(string Name, string[] Addresses, string[] Rules);

/// <summary>Creates and publishes a policy through the control plane's HTTP API, as an operator would.</summary>
public static class LivePolicy
{
    /// <summary>Publishes version 1 of <paramref name="policy"/>; returns each rule's id, keyed by client and rule text.</summary>
    public static async Task<Dictionary<(string Client, string Rule), string>> Publish(HttpClient http, string policy, params LiveClient[] clients)
    {
        var ids = new Dictionary<(string, string), string>();
        await PublishedPolicy.Send(http, "/policies", new { name = policy, reason = "live e2e" });
        foreach (var client in clients)
        {
            await PublishedPolicy.Send(http, $"/policies/{policy}/clients", new { name = client.Name, addresses = client.Addresses, reason = "live e2e" });
            foreach (var rule in client.Rules)
            {
                var added = await PublishedPolicy.Send(http, $"/policies/{policy}/clients/{client.Name}/rules", new { rule, reason = "live e2e" });
                ids[(client.Name, rule)] = added["id"]!.GetValue<string>();
            }
        }
        await PublishedPolicy.Send(http, $"/policies/{policy}/publish", new { reason = "live e2e v1" });
        return ids;
    }

    public static string[] Addresses1 => [LiveNet.Client1V4.ToString(), LiveNet.Client1V6.ToString()];

    public static string[] Addresses2 => [LiveNet.Client2V4.ToString(), LiveNet.Client2V6.ToString()];
}
