using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Publishing.Publish;

public sealed class PublishValidator : AbstractValidator<Publish>
{
    public PublishValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ConfirmWithin).InclusiveBetween(TimeSpan.FromSeconds(1), TimeSpan.FromDays(1))
            .WithMessage("'Confirm Within' must be between 1 second and 1 day.");
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
