using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.AddRule;

public sealed class AddRuleValidator : AbstractValidator<AddRule>
{
    public AddRuleValidator(TimeProvider clock)
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Client).IsName();
        RuleFor(x => x.Rule).IsQubesRule(clock);
        RuleFor(x => x.Position).GreaterThanOrEqualTo(0).AsField();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
