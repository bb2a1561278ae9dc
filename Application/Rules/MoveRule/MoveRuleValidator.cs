using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.MoveRule;

public sealed class MoveRuleValidator : AbstractValidator<MoveRule>
{
    public MoveRuleValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.RuleId).NotEmpty().AsField();
        RuleFor(x => x.Position).NotNull().WithMessage("'position' is required: the 0-based place the rule moves to.").GreaterThanOrEqualTo(0).AsField();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
