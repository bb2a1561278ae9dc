using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Snapshots.GetSnapshot;

public sealed class GetSnapshotValidator : AbstractValidator<GetSnapshot>
{
    public GetSnapshotValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Version).IsSnapshotVersion();
    }
}
