using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.ReplaceRule;

public sealed class ReplaceRuleValidator : AbstractValidator<ReplaceRule>
{
    public ReplaceRuleValidator(TimeProvider clock)
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.RuleId).NotEmpty().AsField();
        RuleFor(x => x.Rule).IsQubesRule(clock);
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
