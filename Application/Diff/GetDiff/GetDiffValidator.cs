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

    // Digits only, as snapshot paths and If-Match read versions: a loose parse would take "+1" or " 1" for 1.
    private static bool IsSide(string side) => side == "draft" ||
        (int.TryParse(side, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0);
}
