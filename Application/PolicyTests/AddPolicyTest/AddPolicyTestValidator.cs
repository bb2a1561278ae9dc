using FluentValidation;
using Lethe.Domain;
using Lethe.Application.Common;
using Lethe.Domain.Rules;

namespace Lethe.Application.PolicyTests.AddPolicyTest;

public sealed class AddPolicyTestValidator : AbstractValidator<AddPolicyTest>
{
    public AddPolicyTestValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.Client).IsName();
        RuleFor(x => x.To).Must(t => RuleParser.ParseAddress(t ?? "") is not null)
            .WithMessage(x => $"{QuotedText.Quote(x.To ?? "")} is not an IPv4 or IPv6 address.");
        RuleFor(x => x.Proto).Must(p => p is null or "tcp" or "udp" or "icmp").WithMessage("'proto' must be tcp, udp or icmp.");
        RuleFor(x => x.Port).InclusiveBetween(0, 65535).AsField();
        RuleFor(x => x.Port).Null().When(x => x.Proto == "icmp").WithMessage("A port only makes sense with tcp or udp.");
        // A test without one would ask about a packet that cannot exist, which no dstports or dns rule matches.
        RuleFor(x => x.Port).NotNull().When(x => x.Proto is null or "tcp" or "udp")
            .WithMessage("A tcp or udp test needs a port: every such packet has one, and rules with dstports or specialtarget=dns decide by it.");
        RuleFor(x => x.IcmpType).InclusiveBetween(0, 255).WithMessage(x => $"An ICMP type is a number from 0 to 255, not {x.IcmpType}.");
        RuleFor(x => x.IcmpType).Null().When(x => x.Proto != "icmp").WithMessage("An ICMP type only makes sense with proto icmp.");
        RuleFor(x => x.Expect).Must(e => e is "accept" or "drop").WithMessage("'expect' must be accept or drop.");
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
