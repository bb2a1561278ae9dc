using System.Net;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Snapshots;

/// <summary>
/// A client address signed content holds that no publish seals: one the control plane refuses a client
/// (loopback, multicast, ...), or one held twice, by one client or by two. With two owners the firewall
/// would judge one machine's packets by whichever client comes first, and answer both at one address.
/// </summary>
internal static class SnapshotAddresses
{
    /// <summary>The first such address, named with its client; null when there is none.</summary>
    /// <remarks>Run on content whose names are plain and whose addresses parse (see <see cref="SnapshotVerifier"/>).</remarks>
    public static string? First(SnapshotContent content)
    {
        // A set, not pairs: a policy near the limits holds tens of thousands of addresses.
        var owners = new Dictionary<IPAddress, string>();
        foreach (var client in content.Clients)
        {
            foreach (var text in client.Addresses)
            {
                var address = RuleParser.ParseAddress(text)!;
                if (ClientAddresses.Unusable(address) is { } why)
                {
                    return $"client {client.Name} has address {address}: {why}";
                }
                if (owners.TryGetValue(address, out var first))
                {
                    return first == client.Name
                        ? $"client {client.Name} holds address {address} twice"
                        : $"address {address} belongs to client {first} and to client {client.Name}";
                }
                owners.Add(address, client.Name);
            }
        }
        return null;
    }
}
