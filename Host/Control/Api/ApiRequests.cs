namespace Lethe.Control.Api;

// The HTTP request bodies. Every change carries a reason; the actor comes from the bearer token.
// Optional fields have defaults, so the OpenAPI document does not list them as required.

public sealed record CreatePolicyRequest(string Name, string Reason);

public sealed record AddClientRequest(string Name, string Reason, List<string>? Addresses = null);

public sealed record ReasonRequest(string Reason);

public sealed record AddRuleRequest(string Rule, string Reason, int? Position = null);

public sealed record MoveRuleRequest(int? Position, string Reason);

public sealed record ReplaceRuleRequest(string Rule, string Reason);

public sealed record ImportRulesRequest(List<string>? Lines, string Reason, bool Replace = false);

public sealed record AddPolicyTestRequest(string Client, string To, string Expect, string Reason, string? Proto = null, int? Port = null, int? IcmpType = null);

public sealed record PublishRequest(string Reason, int? ConfirmWithinSeconds = null);

public sealed record RollBackRequest(int ToVersion, string Reason);

public sealed record ConfirmRequest(string Reason, int? Version = null);
