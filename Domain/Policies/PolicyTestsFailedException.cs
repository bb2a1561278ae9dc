namespace Lethe.Domain.Policies;

/// <summary>Publishing refused because policy tests failed; each failure names the deciding rule.</summary>
public sealed class PolicyTestsFailedException(string policy, IReadOnlyList<PolicyTestResult> failures)
    : DomainException(Refusal.Unprocessable,
        $"Policy {policy} was not published: {failures.Count} policy test(s) failed: " + string.Join("; ", failures.Select(f => f.Describe())))
{
    public IReadOnlyList<PolicyTestResult> Failures { get; } = failures;
}
