namespace Lethe.Application.Common;

/// <summary>Stable ids for rules and tests: short enough to type, random enough never to repeat within a policy.</summary>
public static class Ids
{
    public static string NewRuleId() => "r-" + Guid.NewGuid().ToString("N")[..10];

    public static string NewTestId() => "t-" + Guid.NewGuid().ToString("N")[..8];
}
