using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Clients.AddClient;

public sealed record AddClient(string Policy, string Name, IReadOnlyList<string> Addresses, string Reason, long? ExpectedVersion = null)
    : ICommand<ChangeResult>;

public sealed class AddClientHandler(PolicyWriter writer) : ICommandHandler<AddClient, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(AddClient command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.AddClient(command.Name, command.Addresses), ct);
}
