using FluentValidation;
using Lethe.Domain;
using Lethe.Application.Common;
using Lethe.Domain.Policies;
using Lethe.Domain.Rules;

namespace Lethe.Application.Clients.AddClient;

public sealed class AddClientValidator : AbstractValidator<AddClient>
{
    /// <summary>A client is a machine (a VM and its few addresses); more is a mistake, and each address costs every later change a lookup.</summary>
    public const int MaxAddresses = 1_024;

    public AddClientValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Name).IsName();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.Addresses).NotEmpty().WithMessage("A client needs at least one address (--address).");
        RuleFor(x => x.Addresses.Count).LessThanOrEqualTo(MaxAddresses).OverridePropertyName("Addresses")
            .WithMessage(x => $"A client has at most {MaxAddresses} addresses, not {x.Addresses.Count}: a network is a rule's dst4/dst6, not a client's addresses.");
        RuleForEach(x => x.Addresses)
            .Must(a => RuleParser.ParseAddress(a ?? "") is not null)
            .WithMessage((_, a) => $"{QuotedText.Quote(a ?? "")} is not an IPv4 or IPv6 address.")
            // Wrong whatever the policy holds, so named under its field like any bad value, not refused by the policy.
            .Must(a => Unusable(a) is null)
            .WithMessage((_, a) => $"{RuleParser.ParseAddress(a!)} cannot be a client's address: {Unusable(a)}.")
            // Over the limit, that is the one thing wrong: a body of millions of bad addresses would otherwise name each, in gigabytes.
            .When(x => x.Addresses.Count <= MaxAddresses);
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }

    private static string? Unusable(string? text) =>
        RuleParser.ParseAddress(text ?? "") is { } address ? ClientAddresses.Unusable(address) : null;
}
