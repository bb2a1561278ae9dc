using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.PolicyTests.RemovePolicyTest;

public sealed class RemovePolicyTestValidator : AbstractValidator<RemovePolicyTest>
{
    public RemovePolicyTestValidator()
    {
        RuleFor(x => x.Policy).IsName();
        RuleFor(x => x.TestId).NotEmpty().AsField();
        RuleFor(x => x.Reason).IsReason();
        RuleFor(x => x.ExpectedVersion).IsExpectedVersion();
    }
}
