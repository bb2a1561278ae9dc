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
        var (replaced, version) = await writer.Apply(command.Policy, command.ExpectedVersion, command.Reason,
            policy => policy.ReplaceRule(command.RuleId, rule), ct);
        return new AddedRule(command.RuleId, replaced.After, version);
    }
}
