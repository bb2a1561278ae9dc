using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.MoveRule;

public sealed class MoveRuleValidator : AbstractValidator<MoveRule>
{
    public MoveRuleValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.RuleId).NotEmpty();
        RuleFor(x => x.Position).NotNull().WithMessage("'Position' is required: the 0-based place the rule moves to.").GreaterThanOrEqualTo(0);
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
