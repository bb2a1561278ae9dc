namespace Lethe.Domain.Snapshots;

/// <summary>A snapshot that must not be booted, with the reason in words.</summary>
public sealed class SnapshotVerificationException(string message) : Exception(message);
