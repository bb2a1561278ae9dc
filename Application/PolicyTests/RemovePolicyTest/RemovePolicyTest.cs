using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.PolicyTests.RemovePolicyTest;

public sealed record RemovePolicyTest(string Policy, string TestId, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class RemovePolicyTestHandler(PolicyWriter writer) : ICommandHandler<RemovePolicyTest, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(RemovePolicyTest command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.RemoveTest(command.TestId), ct);
}
