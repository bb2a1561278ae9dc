namespace Lethe.Domain.Snapshots;

public sealed record SnapshotRule(string Id, string Rule);

public sealed record SnapshotClient(string Name, IReadOnlyList<string> Addresses, IReadOnlyList<SnapshotRule> Rules);

/// <summary>
/// What a firewall enforces: the signed part of a snapshot. It holds no version and no time, so a
/// rollback to version K reproduces K's bytes and hash exactly. Rules carry expire but never comment.
/// </summary>
public sealed record SnapshotContent(string Format, string Policy, IReadOnlyList<SnapshotClient> Clients)
{
    public const string CurrentFormat = "lethe.policy/1";
}
