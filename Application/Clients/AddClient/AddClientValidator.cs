using FluentValidation;
using Lethe.Application.Common;
using Lethe.Domain.Rules;

namespace Lethe.Application.Clients.AddClient;

public sealed class AddClientValidator : AbstractValidator<AddClient>
{
    public AddClientValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Name).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.Addresses).NotEmpty().WithMessage("A client needs at least one address (--address).");
        RuleForEach(x => x.Addresses)
            .Must(a => RuleParser.ParseAddress(a ?? "") is not null)
            .WithMessage((_, a) => $"'{a}' is not an IPv4 or IPv6 address.");
        RuleFor(x => x.ExpectedVersion).GreaterThan(0);
    }
}
