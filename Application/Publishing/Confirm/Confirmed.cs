namespace Lethe.Application.Publishing.Confirm;

/// <param name="Version">The policy's stream version after the confirm: the next If-Match.</param>
/// <param name="ConfirmedVersion">The snapshot version that now stays.</param>
public sealed record Confirmed(string Policy, long Version, int ConfirmedVersion);
