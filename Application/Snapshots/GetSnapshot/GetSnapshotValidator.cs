using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Snapshots.GetSnapshot;

public sealed class GetSnapshotValidator : AbstractValidator<GetSnapshot>
{
    public GetSnapshotValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Version).Must(v => v == "latest" || (int.TryParse(v, out var n) && n > 0))
            .WithMessage("'Version' must be a version number (1, 2, ...) or latest.");
    }
}
