namespace Lethe.Application.Ports;

/// <summary>A commit-confirmed publish waiting for confirmation, and the deadline the log holds for it.</summary>
public sealed record PendingPublish(string Policy, int Version, DateTimeOffset ConfirmBy);
