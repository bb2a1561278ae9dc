using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Clients.RemoveClient;

public sealed record RemoveClient(string Policy, string Name, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class RemoveClientHandler(PolicyWriter writer) : ICommandHandler<RemoveClient, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(RemoveClient command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.RemoveClient(command.Name), ct);
}
