using Lethe.Domain.Policies;

namespace Lethe.Infrastructure.Marten;

/// <summary>
/// What the policy list shows of one policy, stored beside its draft with every change
/// (<see cref="PolicyDraftProjection"/>), so listing many large policies reads none of their rules.
/// </summary>
public sealed class PolicyListing
{
    public string Id { get; set; } = "";

    /// <summary>The stream version the draft is at.</summary>
    public long Version { get; set; }

    public int Clients { get; set; }

    public int Rules { get; set; }

    public int LatestSnapshot { get; set; }

    public int? PendingConfirmation { get; set; }

    public static PolicyListing Of(Policy policy)
    {
        var rules = 0;
        foreach (var client in policy.Draft.Clients)
        {
            rules += client.Rules.Count;
        }
        return new PolicyListing
        {
            Id = policy.Id,
            Version = policy.Version,
            Clients = policy.Draft.Clients.Count,
            Rules = rules,
            LatestSnapshot = policy.Publishing.LatestVersion,
            PendingConfirmation = policy.Publishing.PendingVersion,
        };
    }
}
