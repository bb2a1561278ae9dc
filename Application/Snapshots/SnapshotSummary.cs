namespace Lethe.Application.Snapshots;

/// <summary>What names a sealed version, without its content: listing versions and answering a firewall's poll need no more.</summary>
public sealed record SnapshotSummary(int Version, string ContentSha256, string KeyId, DateTimeOffset SealedAt, long LogPosition, string Format);
