using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Rules.RemoveRule;

public sealed record RemoveRule(string Policy, string RuleId, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class RemoveRuleHandler(PolicyWriter writer) : ICommandHandler<RemoveRule, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(RemoveRule command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.RemoveRule(command.RuleId), ct);
}
