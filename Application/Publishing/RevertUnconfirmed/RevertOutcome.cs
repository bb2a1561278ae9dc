using Lethe.Domain.Policies;

namespace Lethe.Application.Publishing.RevertUnconfirmed;

/// <summary>What an overdue revert did; exactly one of the two is set.</summary>
/// <param name="Published">The last confirmed content, published again as a new version.</param>
/// <param name="Abandoned">Instead, when this build cannot restore that version: the version on trial stays, confirmed.</param>
public sealed record RevertOutcome(Published? Published, RevertAbandoned? Abandoned);
