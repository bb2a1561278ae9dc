using System.Collections.Concurrent;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;

namespace Lethe.Application.Publishing;

/// <summary>
/// When a commit-confirmed publish is overdue, as this instance judges it. The log holds the deadline
/// as a wall-clock time, so that a control plane restarted meanwhile still reverts; but NTP may step
/// that clock back while the window runs (a clock that ran ahead, set right), and judged by it alone
/// the revert would come that much later, while the version on trial, which may have cut the operator
/// off, stays. So the window is also counted down on the monotonic clock from when this instance first
/// met it (at the publish, for the instance that made it; else at its watchdog's next round): the
/// publish is overdue when either clock says so.
/// </summary>
public sealed class ConfirmationDeadlines(TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string Policy, int Version), long> _due = new();

    /// <summary>Starts the countdown of a publish waiting for confirmation, unless it runs already.</summary>
    /// <returns>When it runs out, as a <see cref="TimeProvider.GetTimestamp"/> value.</returns>
    public long Track(string policy, int version, DateTimeOffset confirmBy)
    {
        var left = confirmBy - clock.GetUtcNow();
        var start = clock.GetTimestamp();
        // No window is longer: met first after a step back, the deadline can seem further off than that.
        var ticks = (long)(Math.Clamp(left.TotalSeconds, 0, Publish.PublishValidator.LongestWindow.TotalSeconds) * clock.TimestampFrequency);
        return _due.GetOrAdd((policy, version), start + ticks);
    }

    public bool IsOverdue(PendingPublish pending)
    {
        if (pending.ConfirmBy <= clock.GetUtcNow())
        {
            return true;
        }
        return clock.GetTimestamp() >= Track(pending.Policy, pending.Version, pending.ConfirmBy);
    }

    /// <summary>
    /// The time to judge <paramref name="policy"/>'s deadline at: the wall clock's, or, once the window
    /// ran out on the monotonic clock, the deadline itself.
    /// </summary>
    public DateTimeOffset Now(Policy policy)
    {
        var now = clock.GetUtcNow();
        return policy.Publishing is { PendingVersion: { } version, ConfirmBy: { } by } && by > now
            && IsOverdue(new PendingPublish(policy.Id, version, by))
            ? by
            : now;
    }

    /// <summary>Forgets the countdowns of publishes no longer waiting (confirmed, reverted).</summary>
    public void KeepOnly(IReadOnlyCollection<PendingPublish> pending)
    {
        foreach (var key in _due.Keys)
        {
            if (!pending.Any(p => p.Policy == key.Policy && p.Version == key.Version))
            {
                _due.TryRemove(key, out _);
            }
        }
    }
}
