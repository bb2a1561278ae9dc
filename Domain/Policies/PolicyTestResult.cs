using Lethe.Domain.Evaluation;

namespace Lethe.Domain.Policies;

public sealed record PolicyTestResult(PolicyTest Test, Decision Decision, bool Passed)
{
    public string Describe() =>
        $"test {Test.Id} ({Test.Client} -> {Test.To}{(Test.Proto is null ? "" : " " + Test.Proto)}{(Test.Port is null ? "" : " port " + Test.Port)}): " +
        $"expected {Test.Expect}, got {Rules.Rule.Format(Decision.Action)} " +
        (Decision.RuleId is null ? $"({Decision.Reason})" : $"by rule {Decision.RuleId}");
}
