using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Snapshots.GetSnapshotSummary;

public sealed class GetSnapshotSummaryValidator : AbstractValidator<GetSnapshotSummary>
{
    public GetSnapshotSummaryValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Version).IsSnapshotVersion();
    }
}
