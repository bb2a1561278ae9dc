namespace Lethe.Application.Common;

/// <param name="Version">The policy's stream version after the change: the next If-Match.</param>
public sealed record ChangeResult(string Policy, long Version);
