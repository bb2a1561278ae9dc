using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Publishing.Confirm;

public sealed record Confirm(string Policy, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class ConfirmHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<Confirm, ChangeResult>
{
    /// <remarks>
    /// Never decided again after a lost race, as other changes are without an expected version: the
    /// race may have been another publish, and a retry would confirm a version its caller never saw.
    /// </remarks>
    public async ValueTask<ChangeResult> Handle(Confirm command, CancellationToken ct)
    {
        var policy = await writer.Load(command.Policy, command.ExpectedVersion, ct);
        return new ChangeResult(policy.Id, await writer.Append(policy, command.Reason, [policy.Confirm(clock.GetUtcNow())], ct));
    }
}
