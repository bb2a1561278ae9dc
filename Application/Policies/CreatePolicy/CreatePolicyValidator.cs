using FluentValidation;
using Lethe.Application.Common;

namespace Lethe.Application.Policies.CreatePolicy;

public sealed class CreatePolicyValidator : AbstractValidator<CreatePolicy>
{
    public CreatePolicyValidator()
    {
        RuleFor(x => x.Name).IsName();
        // A policy's name is its event stream's id, and Marten keeps streams of its own under mt_.
        RuleFor(x => x.Name).Must(n => n is null || !n.StartsWith("mt_", StringComparison.Ordinal))
            .WithMessage("Policy names starting with 'mt_' are reserved for the event store's own streams.");
        RuleFor(x => x.Reason).IsReason();
    }
}
