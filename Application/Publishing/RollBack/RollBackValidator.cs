using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Publishing.RollBack;

public sealed class RollBackValidator : AbstractValidator<RollBack>
{
    public RollBackValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.ToVersion).GreaterThan(0);
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
