using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Publishing.Publish;

public sealed class PublishValidator : AbstractValidator<Publish>
{
    public static readonly TimeSpan LongestWindow = TimeSpan.FromDays(1);

    public PublishValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Reason).IsReason();
        // Named as the request names it (confirmWithinSeconds; the CLI's --confirm-within), not as the command does.
        RuleFor(x => x.ConfirmWithin).InclusiveBetween(TimeSpan.FromSeconds(1), LongestWindow)
            .OverridePropertyName("ConfirmWithinSeconds")
            .WithMessage("'confirmWithinSeconds' must be between 1 second and 1 day (86400).");
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
