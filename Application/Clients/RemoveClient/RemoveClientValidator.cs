using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Clients.RemoveClient;

public sealed class RemoveClientValidator : AbstractValidator<RemoveClient>
{
    public RemoveClientValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Name).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
