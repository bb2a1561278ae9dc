using Lethe.Application.Common;
using Mediator;

namespace Lethe.Application.Rules.MoveRule;

/// <param name="Position">0-based position the rule ends up at; required (null is refused, never taken as 0).</param>
public sealed record MoveRule(string Policy, string RuleId, int? Position, string Reason, long? ExpectedVersion = null) : ICommand<ChangeResult>;

public sealed class MoveRuleHandler(PolicyWriter writer) : ICommandHandler<MoveRule, ChangeResult>
{
    public async ValueTask<ChangeResult> Handle(MoveRule command, CancellationToken ct) =>
        await writer.Change(command.Policy, command.ExpectedVersion, command.Reason, p => p.MoveRule(command.RuleId, command.Position!.Value), ct);
}
