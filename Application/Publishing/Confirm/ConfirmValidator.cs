using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Publishing.Confirm;

public sealed class ConfirmValidator : AbstractValidator<Confirm>
{
    public ConfirmValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
        RuleFor(x => x.Version).GreaterThan(0).AsField();
    }
}
