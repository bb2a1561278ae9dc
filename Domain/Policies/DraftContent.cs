namespace Lethe.Domain.Policies;

/// <summary>What an operator edits: clients with their ordered rules, and the policy tests.</summary>
public sealed record DraftContent(IReadOnlyList<ClientDraft> Clients, IReadOnlyList<PolicyTest> Tests)
{
    public static DraftContent Empty { get; } = new([], []);

    public ClientDraft? FindClient(string name)
    {
        foreach (var client in Clients)
        {
            if (client.Name == name)
            {
                return client;
            }
        }
        return null;
    }

    public (ClientDraft Client, int Index)? FindRule(string ruleId)
    {
        foreach (var client in Clients)
        {
            for (var i = 0; i < client.Rules.Count; i++)
            {
                if (client.Rules[i].Id == ruleId)
                {
                    return (client, i);
                }
            }
        }
        return null;
    }

    /// <summary>The same clients (in order, with their addresses and rules, comments included) and tests.</summary>
    public bool SameAs(DraftContent other) =>
        Clients.Count == other.Clients.Count
        && Clients.Zip(other.Clients).All(c => c.First.Name == c.Second.Name
            && c.First.Addresses.SequenceEqual(c.Second.Addresses) && c.First.Rules.SequenceEqual(c.Second.Rules))
        && Tests.SequenceEqual(other.Tests);

    public DraftContent WithClient(ClientDraft changed) =>
        this with { Clients = Clients.Select(c => c.Name == changed.Name ? changed : c).ToArray() };
}
