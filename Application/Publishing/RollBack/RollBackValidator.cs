using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Publishing.RollBack;

public sealed class RollBackValidator : AbstractValidator<RollBack>
{
    public RollBackValidator()
    {
        RuleFor(x => x.Policy).IsName();
        // Worded without the field's name: the CLI names it by its option (--to), the API by its field.
        // Only the API can leave it out (the CLI's --to is required), so that message names the field as the API spells it.
        RuleFor(x => x.ToVersion).NotNull().WithMessage("'toVersion' is required: the published version to roll back to.")
            .GreaterThan(0).WithMessage(x => $"The version to roll back to is a published version, 1 or more, not {x.ToVersion}.");
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
