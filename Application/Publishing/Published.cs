namespace Lethe.Application.Publishing;

/// <summary>What publish, rollback and an automatic revert answer.</summary>
public sealed record Published(string Policy, int Version, string ContentSha256, string KeyId, DateTimeOffset SealedAt, DateTimeOffset? ConfirmBy, long StreamVersion);
