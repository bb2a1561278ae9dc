using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Clients.RemoveClient;

public sealed class RemoveClientValidator : AbstractValidator<RemoveClient>
{
    public RemoveClientValidator()
    {
        RuleFor(x => x.Policy).IsName();
        // The route names it {client}; the body has no "name".
        RuleFor(x => x.Name).IsName().OverridePropertyName("client");
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
