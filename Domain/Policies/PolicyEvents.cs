namespace Lethe.Domain.Policies;

// The vocabulary of a policy's event stream. Actor, reason and correlation id travel in the
// event store's own metadata, not in these records.

public sealed record PolicyCreated(string Policy);

public sealed record ClientAdded(string Client, IReadOnlyList<string> Addresses);

/// <param name="Addresses">The client's addresses and <paramref name="RuleIds"/> the ids of the rules that went with it; null in events recorded before they were kept.</param>
public sealed record ClientRemoved(string Client, IReadOnlyList<string>? Addresses = null, IReadOnlyList<string>? RuleIds = null);

public sealed record RuleAdded(string Client, string RuleId, string Rule, int Position);

public sealed record RuleRemoved(string Client, string RuleId, string Rule);

public sealed record RuleMoved(string Client, string RuleId, int From, int To);

public sealed record RuleReplaced(string Client, string RuleId, string Before, string After);

/// <param name="ReplacedRuleIds">With <paramref name="Replaced"/>, the ids of the client's rules it removed; null in events recorded before they were kept.</param>
public sealed record RulesImported(string Client, bool Replaced, IReadOnlyList<DraftRule> Rules, IReadOnlyList<string>? ReplacedRuleIds = null);

public sealed record PolicyTestAdded(PolicyTest Test);

/// <param name="Test">What the removed test checked; null in events recorded before it was kept.</param>
public sealed record PolicyTestRemoved(string TestId, PolicyTest? Test = null);

/// <param name="LogPosition">The stream version the snapshot was sealed from.</param>
/// <param name="ConfirmBy">Set for a commit-confirmed publish: reverted unless confirmed by then.</param>
/// <param name="KeyId">The key that signed the snapshot; null in events recorded before it was kept (as in the other sealing events).</param>
public sealed record PolicyPublished(int Version, string ContentSha256, long LogPosition, DateTimeOffset? ConfirmBy, string? KeyId = null);

public sealed record PublishConfirmed(int Version);

/// <summary>A commit-confirmed publish that was not confirmed in time: the last confirmed content comes back as <paramref name="Version"/>.</summary>
public sealed record PublishReverted(int Version, int UnconfirmedVersion, int RestoredVersion, string ContentSha256, long LogPosition, DraftContent Restored,
    string? KeyId = null);

/// <summary>
/// A commit-confirmed publish that was not confirmed in time, but whose revert can never be made: version
/// <paramref name="ToVersion"/> holds content an earlier build sealed that this one no longer reads
/// (<paramref name="Why"/>, a phrase that follows "version K"). <paramref name="Version"/> stays, confirmed by
/// this event; overdue for ever instead, the policy would refuse every confirm and publish.
/// </summary>
public sealed record RevertAbandoned(int Version, int ToVersion, string Why);

/// <summary>A new version whose content equals an older one's; the draft returns to that content too.</summary>
public sealed record PolicyRolledBack(int Version, int ToVersion, string ContentSha256, long LogPosition, DraftContent Restored, string? KeyId = null);

/// <summary>
/// A rollback to the latest version <paramref name="ToVersion"/> while the draft differed from it: the draft
/// goes back to what that version sealed (<paramref name="Restored"/>), discarding the changes not yet
/// published, and nothing is sealed, since firewalls already run that content.
/// </summary>
public sealed record DraftRestored(int ToVersion, DraftContent Restored);
