using Lethe.Application.Common;
using Lethe.Domain.Rules;
using Lethe.Application.Rules.AddRule;
using Mediator;

namespace Lethe.Application.Rules.ReplaceRule;

/// <summary>Changes a rule's text in place; it keeps its id and position.</summary>
public sealed record ReplaceRule(string Policy, string RuleId, string Rule, string Reason, long? ExpectedVersion = null) : ICommand<AddedRule>;

public sealed class ReplaceRuleHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<ReplaceRule, AddedRule>
{
    public async ValueTask<AddedRule> Handle(ReplaceRule command, CancellationToken ct)
    {
        var rule = RuleParser.Parse(command.Rule, clock.GetUtcNow().ToUnixTimeSeconds());
        var policy = await writer.Load(command.Policy, command.ExpectedVersion, ct);
        var replaced = policy.ReplaceRule(command.RuleId, rule);
        return new AddedRule(command.RuleId, replaced.After, await writer.Append(policy, command.Reason, [replaced], ct));
    }
}
