namespace Lethe.Application.Publishing;

/// <summary>What publish, rollback and an automatic revert answer.</summary>
/// <param name="NewVersion">
/// False for a rollback to the latest version, which only restored the draft: <paramref name="Version"/> is then
/// that version, sealed before, and nothing was published.
/// </param>
public sealed record Published(string Policy, int Version, string ContentSha256, string KeyId, DateTimeOffset SealedAt, DateTimeOffset? ConfirmBy, long StreamVersion,
    bool NewVersion = true);
