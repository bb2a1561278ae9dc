using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Publishing.RollBack;

/// <summary>Publishes version <paramref name="ToVersion"/>'s exact content bytes again as a new version.</summary>
public sealed record RollBack(string Policy, int ToVersion, string Reason, long? ExpectedVersion = null) : ICommand<Published>;

public sealed class RollBackHandler(PolicyWriter writer, Sealing sealing) : ICommandHandler<RollBack, Published>
{
    public async ValueTask<Published> Handle(RollBack command, CancellationToken ct)
    {
        // From the log, as publish: the version numbers and publishing state are not the projection's to decide.
        var policy = await writer.LoadFromLog(command.Policy, command.ExpectedVersion, ct);
        var target = await sealing.Require(policy.Id, command.ToVersion, ct);
        var rolledBack = policy.RollBack(command.ToVersion, target.Sealed.ContentSha256, target.Draft);
        return await sealing.Store(policy, writer.Stamp(command.Reason), rolledBack, rolledBack.Version, rolledBack.LogPosition,
            Convert.FromBase64String(target.Sealed.Content), target.Draft, null, ct);
    }
}
