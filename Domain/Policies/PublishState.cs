namespace Lethe.Domain.Policies;

/// <param name="LatestVersion">0 before the first publish.</param>
/// <param name="ConfirmedVersion">The newest version that is not waiting for confirmation; 0 when none.</param>
/// <param name="PendingVersion">A commit-confirmed version still waiting, or null.</param>
public sealed record PublishState(int LatestVersion, string? LatestContentSha256, int ConfirmedVersion, int? PendingVersion, DateTimeOffset? ConfirmBy)
{
    public static PublishState Unpublished { get; } = new(0, null, 0, null, null);
}
