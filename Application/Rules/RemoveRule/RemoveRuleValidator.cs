using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Rules.RemoveRule;

public sealed class RemoveRuleValidator : AbstractValidator<RemoveRule>
{
    public RemoveRuleValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.RuleId).NotEmpty().AsField();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
