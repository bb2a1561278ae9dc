using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Publishing.Confirm;

public sealed record Confirm(string Policy, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class ConfirmHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<Confirm, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(Confirm command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.Confirm(clock.GetUtcNow()), ct);
}
