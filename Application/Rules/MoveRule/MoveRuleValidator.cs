using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.MoveRule;

public sealed class MoveRuleValidator : AbstractValidator<MoveRule>
{
    public MoveRuleValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.RuleId).NotEmpty();
        RuleFor(x => x.Position).GreaterThanOrEqualTo(0);
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
