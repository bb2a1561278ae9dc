using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Publishing.RevertUnconfirmed;

/// <summary>
/// Sent by the confirmation watchdog: when a commit-confirmed publish is overdue, the last confirmed
/// content is published again as a new version, or, where that version holds content this build no
/// longer reads (sealed by an earlier one), the revert is recorded as abandoned and the version on
/// trial stays. Answers null when there is nothing (any longer) to revert.
/// </summary>
public sealed record RevertUnconfirmed(string Policy) : ICommand<RevertOutcome?>
{
    public const string Reason = "not confirmed in time";

    public static string AbandonedReason(int toVersion) => $"not confirmed in time; version {toVersion} cannot be restored";
}

public sealed class RevertUnconfirmedHandler(PolicyWriter writer, Sealing sealing, IPolicyStore store, ConfirmationDeadlines deadlines) : ICommandHandler<RevertUnconfirmed, RevertOutcome?>
{
    /// <summary>Appends tried before a revert that keeps losing to editors is left to the watchdog's next round (logged as an error).</summary>
    public const int Attempts = 10;

    public async ValueTask<RevertOutcome?> Handle(RevertUnconfirmed command, CancellationToken ct)
    {
        // From the log: the stored projection's overdue publish (ConfirmBy, the versions) is only a hint,
        // or a row changed outside Lethe could have an old version signed as the newest.
        var policy = await writer.LoadFromLog(command.Policy, null, ct);
        var now = deadlines.Now(policy);
        if (!policy.IsOverdue(now))
        {
            return null;
        }
        // A stored copy changed outside Lethe is refused as a rollback to it is, and tried again next round
        // (it may be set right); content the log itself holds that this build cannot read never will be.
        var (restored, unreadable) = await sealing.Restorable(policy.Id, policy.Publishing.ConfirmedVersion, ct);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return restored is null ? await Abandon(policy, now, unreadable!, ct) : await Revert(policy, now, restored, ct);
            }
            catch (ConcurrencyConflictException lost)
            {
                // Draft changes that landed first change nothing the revert decides (it puts the confirmed
                // draft back over them, or, abandoned, leaves the draft alone), so only what they appended is
                // read before the next try: a revert that read the whole log again each time would lose to a
                // busy editor forever.
                // Anything that moved the publishing state (an operator's confirm, another instance's
                // revert) ends this one, and the watchdog's next round decides afresh.
                var (newer, version) = await store.EventsAfter(policy.Id, policy.Version, ct);
                if (newer.Count == 0)
                {
                    // Refused with nothing appended after, it lost no race (a snapshot row for the version
                    // already there, written outside Lethe, say): the same write would be refused again. Not
                    // a conflict, which the watchdog takes for another instance's win and keeps quiet about.
                    throw new InvalidOperationException(
                        $"Policy {policy.Id}: the revert's write was refused though nothing was written to the log after it: {lost.Message}", lost);
                }
                var moved = policy.FoldAll(newer) with { Version = version };
                if (moved.Publishing != policy.Publishing)
                {
                    throw;
                }
                if (attempt == Attempts)
                {
                    throw new InvalidOperationException(
                        $"Policy {policy.Id}: the revert lost {Attempts} races in a row to draft changes; the next round tries again.", lost);
                }
                policy = moved;
            }
        }
    }

    private async Task<RevertOutcome> Revert(Policy policy, DateTimeOffset now, StoredSnapshot restored, CancellationToken ct)
    {
        var reverted = policy.RevertUnconfirmed(now, restored.Sealed.ContentSha256, restored.Draft, sealing.KeyId);
        return new RevertOutcome(await sealing.Store(policy, writer.Stamp(RevertUnconfirmed.Reason), reverted, reverted.Version, reverted.LogPosition,
            Convert.FromBase64String(restored.Sealed.Content), restored.Draft, null, ct), null);
    }

    private async Task<RevertOutcome> Abandon(Policy policy, DateTimeOffset now, string unreadable, CancellationToken ct)
    {
        var abandoned = policy.AbandonRevert(now, unreadable);
        await writer.Append(policy, RevertUnconfirmed.AbandonedReason(abandoned.ToVersion), [abandoned], ct);
        return new RevertOutcome(null, abandoned);
    }
}
