using Lethe.Domain.Policies;

namespace Lethe.Control.Api;

/// <summary>A policy's draft as the API shows it; <see cref="Version"/> is the value for If-Match.</summary>
public sealed record PolicyView(
    string Name,
    long Version,
    IReadOnlyList<ClientDraft> Clients,
    IReadOnlyList<PolicyTest> Tests,
    int LatestVersion,
    int ConfirmedVersion,
    int? PendingVersion,
    DateTimeOffset? ConfirmBy)
{
    public static PolicyView Of(Policy p) =>
        new(p.Id, p.Version, p.Draft.Clients, p.Draft.Tests, p.Publishing.LatestVersion, p.Publishing.ConfirmedVersion,
            p.Publishing.PendingVersion, p.Publishing.ConfirmBy);
}
