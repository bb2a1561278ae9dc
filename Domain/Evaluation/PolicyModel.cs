using System.Net;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Evaluation;

public sealed record ModelRule(string Id, Rule Rule);

public sealed record ModelClient(string Name, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<ModelRule> Rules);

/// <summary>A policy with its rules parsed, ready to be evaluated.</summary>
public sealed record PolicyModel(IReadOnlyList<ModelClient> Clients)
{
    // Publish evaluates every policy test against the same model: a scan of the clients per test made
    // a policy of 16,000 clients with a test each take a minute to publish.
    private ClientIndex? _index;

    public ModelClient? FindClient(string name) => Index().ByName.GetValueOrDefault(name);

    /// <summary>The client, other than <paramref name="sender"/>, that owns <paramref name="address"/>: the first such in policy order.</summary>
    public ModelClient? OtherClientOwning(IPAddress address, ModelClient sender) =>
        Index().Owners.TryGetValue(address, out var owners)
            ? ReferenceEquals(owners.First, sender) ? owners.Second : owners.First
            : null;

    /// <summary>The same clients (the same list), whatever has been looked up in either.</summary>
    public bool Equals(PolicyModel? other) => other is not null && ReferenceEquals(Clients, other.Clients);

    public override int GetHashCode() => Clients.GetHashCode();

    private ClientIndex Index()
    {
        // Rebuilt when a `with` gave the copy other clients; a race builds it twice, both the same.
        var index = Volatile.Read(ref _index);
        if (index is null || !ReferenceEquals(index.Clients, Clients))
        {
            index = new ClientIndex(Clients);
            Volatile.Write(ref _index, index);
        }
        return index;
    }

    public static PolicyModel From(IEnumerable<(string Name, IReadOnlyList<string> Addresses, IEnumerable<(string Id, string Rule)> Rules)> clients) =>
        new(clients.Select(c => new ModelClient(
                c.Name,
                c.Addresses.Select(a => RuleParser.ParseAddress(a) ?? throw new FormatException($"client {c.Name}: '{a}' is not an address")).ToArray(),
                c.Rules.Select(r => new ModelRule(r.Id, RuleParser.Parse(r.Rule, 0))).ToArray()))
            .ToArray());

    /// <summary>Clients by name (the first of a name) and, per address, the first two clients in policy order that list it.</summary>
    private sealed class ClientIndex
    {
        public ClientIndex(IReadOnlyList<ModelClient> clients)
        {
            Clients = clients;
            foreach (var client in clients)
            {
                ByName.TryAdd(client.Name, client);
                foreach (var address in client.Addresses)
                {
                    if (!Owners.TryGetValue(address, out var owners))
                    {
                        Owners[address] = (client, null);
                    }
                    else if (owners.Second is null && !ReferenceEquals(owners.First, client))
                    {
                        Owners[address] = owners with { Second = client };
                    }
                }
            }
        }

        public IReadOnlyList<ModelClient> Clients { get; }

        public Dictionary<string, ModelClient> ByName { get; } = new(StringComparer.Ordinal);

        public Dictionary<IPAddress, (ModelClient First, ModelClient? Second)> Owners { get; } = [];
    }
}
