namespace Lethe.Control.Api;

// The HTTP request bodies. Every change carries a reason; the actor comes from the bearer token.

public sealed record CreatePolicyRequest(string Name, string Reason);

public sealed record AddClientRequest(string Name, List<string>? Addresses, string Reason);

public sealed record ReasonRequest(string Reason);

public sealed record AddRuleRequest(string Rule, int? Position, string Reason);

public sealed record MoveRuleRequest(int? Position, string Reason);

public sealed record ReplaceRuleRequest(string Rule, string Reason);

public sealed record ImportRulesRequest(List<string>? Lines, bool Replace, string Reason);

public sealed record AddPolicyTestRequest(string Client, string To, string? Proto, int? Port, int? IcmpType, string Expect, string Reason);

public sealed record PublishRequest(string Reason, int? ConfirmWithinSeconds);

public sealed record RollBackRequest(int ToVersion, string Reason);
