using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Publishing.RevertUnconfirmed;

/// <summary>
/// Sent by the confirmation watchdog: when a commit-confirmed publish is overdue, the last confirmed
/// content is published again as a new version. Answers null when there is nothing (any longer) to revert.
/// </summary>
public sealed record RevertUnconfirmed(string Policy) : ICommand<Published?>
{
    public const string Reason = "not confirmed in time";
}

public sealed class RevertUnconfirmedHandler(PolicyWriter writer, Sealing sealing) : ICommandHandler<RevertUnconfirmed, Published?>
{
    public async ValueTask<Published?> Handle(RevertUnconfirmed command, CancellationToken ct)
    {
        // From the log: the stored projection's overdue publish (ConfirmBy, the versions) is only a hint,
        // or a row changed outside Lethe could have an old version signed as the newest.
        var policy = await writer.LoadFromLog(command.Policy, null, ct);
        var now = sealing.Now;
        if (!policy.IsOverdue(now))
        {
            return null;
        }
        var restored = await sealing.Require(policy.Id, policy.Publishing.ConfirmedVersion, ct);
        var reverted = policy.RevertUnconfirmed(now, restored.Sealed.ContentSha256, restored.Draft);
        return await sealing.Store(policy, writer.Stamp(RevertUnconfirmed.Reason), reverted, reverted.Version, reverted.LogPosition,
            Convert.FromBase64String(restored.Sealed.Content), restored.Draft, null, ct);
    }
}
