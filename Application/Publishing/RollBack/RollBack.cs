using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Publishing.RollBack;

/// <summary>
/// Publishes version <paramref name="ToVersion"/>'s exact content bytes again as a new version; to the latest
/// version, whose content firewalls already run, only restores the draft to it and publishes nothing.
/// </summary>
/// <param name="ToVersion">Null when the request left it out: the validator names it as required, where a 0 would be quoted as sent.</param>
public sealed record RollBack(string Policy, int? ToVersion, string Reason, long? ExpectedVersion = null) : ICommand<Published>;

public sealed class RollBackHandler(PolicyWriter writer, Sealing sealing) : ICommandHandler<RollBack, Published>
{
    public async ValueTask<Published> Handle(RollBack command, CancellationToken ct)
    {
        // From the log, as publish: the version numbers and publishing state are not the projection's to decide.
        var policy = await writer.LoadFromLog(command.Policy, command.ExpectedVersion, ct);
        try
        {
            return await RollBack(command, policy, ct);
        }
        catch (ConcurrencyConflictException lost)
        {
            throw await writer.LostRace(policy, "rollback", command.ExpectedVersion,
                _ => "Nothing was rolled back; look at the policy again (lethe show, lethe history) and roll back if it is still what you want.", lost, ct);
        }
    }

    private async Task<Published> RollBack(RollBack command, Policy policy, CancellationToken ct)
    {
        // The validator refused a missing one.
        var toVersion = command.ToVersion!.Value;
        // Checked as for any rollback, though nothing is signed: the draft restored is the one the log recorded.
        var target = await sealing.Require(policy.Id, toVersion, ct);
        if (toVersion == policy.Publishing.LatestVersion)
        {
            var restored = policy.RestoreDraft(sealing.Now, toVersion, target.Draft);
            var streamVersion = await writer.Append(policy, command.Reason, [restored], ct);
            return new Published(policy.Id, toVersion, target.Sealed.ContentSha256, target.Sealed.KeyId, target.Sealed.SealedAt,
                policy.Publishing.PendingVersion == toVersion ? policy.Publishing.ConfirmBy : null, streamVersion, NewVersion: false);
        }
        var rolledBack = policy.RollBack(toVersion, target.Sealed.ContentSha256, target.Draft, sealing.KeyId);
        return await sealing.Store(policy, writer.Stamp(command.Reason), rolledBack, rolledBack.Version, rolledBack.LogPosition,
            Convert.FromBase64String(target.Sealed.Content), target.Draft, null, ct);
    }
}
