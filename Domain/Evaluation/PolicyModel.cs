using System.Net;
using Lethe.Domain.Rules;

namespace Lethe.Domain.Evaluation;

public sealed record ModelRule(string Id, Rule Rule);

public sealed record ModelClient(string Name, IReadOnlyList<IPAddress> Addresses, IReadOnlyList<ModelRule> Rules);

/// <summary>A policy with its rules parsed, ready to be evaluated.</summary>
public sealed record PolicyModel(IReadOnlyList<ModelClient> Clients)
{
    public ModelClient? FindClient(string name) => Clients.FirstOrDefault(c => c.Name == name);

    /// <summary>The client, other than <paramref name="sender"/>, that owns <paramref name="address"/>.</summary>
    public ModelClient? OtherClientOwning(IPAddress address, ModelClient sender) =>
        Clients.FirstOrDefault(c => !ReferenceEquals(c, sender) && c.Addresses.Contains(address));

    public static PolicyModel From(IEnumerable<(string Name, IReadOnlyList<string> Addresses, IEnumerable<(string Id, string Rule)> Rules)> clients) =>
        new(clients.Select(c => new ModelClient(
                c.Name,
                c.Addresses.Select(a => RuleParser.ParseAddress(a) ?? throw new FormatException($"client {c.Name}: '{a}' is not an address")).ToArray(),
                c.Rules.Select(r => new ModelRule(r.Id, RuleParser.Parse(r.Rule, 0))).ToArray()))
            .ToArray());
}
