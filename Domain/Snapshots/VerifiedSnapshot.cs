namespace Lethe.Domain.Snapshots;

public sealed record VerifiedSnapshot(SealedSnapshot Envelope, SnapshotContent Content, byte[] ContentBytes);
