using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Policies.CreatePolicy;

public sealed record CreatePolicy(string Name, string Reason) : ICommand<ChangeResult>;

public sealed class CreatePolicyHandler(IPolicyStore store, PolicyWriter writer) : ICommandHandler<CreatePolicy, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(CreatePolicy command, CancellationToken ct) =>
        new(command.Name, await store.Create(Policy.Open(command.Name), writer.Stamp(command.Reason), ct));
}
