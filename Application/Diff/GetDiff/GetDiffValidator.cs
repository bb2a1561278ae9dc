using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Diff.GetDiff;

public sealed class GetDiffValidator : AbstractValidator<GetDiff>
{
    public GetDiffValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.From).Must(IsSide).WithMessage("'from' must be a version number (1, 2, ...) or draft.");
        RuleFor(x => x.To).Must(IsSide).WithMessage("'to' must be a version number (1, 2, ...) or draft.");
    }

    private static bool IsSide(string side) => side == "draft" || ValidationRules.TryVersion(side, out _);
}
