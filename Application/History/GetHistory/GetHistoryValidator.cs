using FluentValidation;

namespace Lethe.Application.History.GetHistory;

public sealed class GetHistoryValidator : AbstractValidator<GetHistory>
{
    public GetHistoryValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, GetHistory.MaxLimit)
            .WithMessage((_, limit) => $"'limit' must be a whole number from 1 to {GetHistory.MaxLimit} (leave it out for every entry), not {limit}.");
        // Sequences start at 1, so before=1 is the empty page past the policy's creation, and 0 or less is no cursor a page gives.
        RuleFor(x => x.Before).GreaterThanOrEqualTo(1)
            .WithMessage((_, before) => $"'before' must be an entry's sequence (1, 2, ...), as the previous page's Link gives it, not {before}.");
    }
}
