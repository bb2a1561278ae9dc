using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Policies.CreatePolicy;

public sealed class CreatePolicyValidator : AbstractValidator<CreatePolicy>
{
    public CreatePolicyValidator()
    {
        RuleFor(x => x.Name).IsName();
        RuleFor(x => x.Reason).IsReason();
    }
}
