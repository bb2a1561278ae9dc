using Lethe.Application.Common;
using Lethe.Domain.Rules;
using Mediator;

namespace Lethe.Application.Rules.AddRule;

/// <param name="Position">0-based; null appends at the end.</param>
public sealed record AddRule(string Policy, string Client, string Rule, int? Position, string Reason, long? ExpectedVersion = null)
    : ICommand<AddedRule>;

/// <param name="Rule">The canonical form that was stored.</param>
public sealed record AddedRule(string Id, string Rule, long Version);

public sealed class AddRuleHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<AddRule, AddedRule>
{
    public async ValueTask<AddedRule> Handle(AddRule command, CancellationToken ct)
    {
        var rule = RuleParser.Parse(command.Rule, clock.GetUtcNow().ToUnixTimeSeconds());
        var (added, version) = await writer.Apply(command.Policy, command.ExpectedVersion, command.Reason,
            policy => policy.AddRule(command.Client, Ids.NewRuleId(), rule, command.Position), ct);
        return new AddedRule(added.RuleId, added.Rule, version);
    }
}
