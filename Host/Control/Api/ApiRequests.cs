namespace Lethe.Control.Api;

// The HTTP request bodies. Every change carries a reason; the actor comes from the bearer token.
// Optional fields have defaults, so the OpenAPI document does not list them as required.

public sealed record CreatePolicyRequest(string Name, string Reason);

// Addresses has no default: a client needs one (400 otherwise), so the document must not call it optional.
public sealed record AddClientRequest(string Name, string Reason, List<string>? Addresses);

public sealed record ReasonRequest(string Reason);

public sealed record AddRuleRequest(string Rule, string Reason, int? Position = null);

public sealed record MoveRuleRequest(int? Position, string Reason);

public sealed record ReplaceRuleRequest(string Rule, string Reason);

public sealed record ImportRulesRequest(List<string>? Lines, string Reason, bool Replace = false)
{
    /// <summary>
    /// The largest body the import endpoint reads: what any rules file `lethe rule import` reads (16 MiB at
    /// most) makes in JSON, which is six bytes for each control character (<c>\u0001</c>, 96 MiB), with room
    /// for the other fields. Kestrel's own limit, 30,000,000 bytes, refused a file of 11 MB whose Cyrillic
    /// comments were sent escaped (<c>\u0434</c>, six bytes for a letter of two), as another client may still send them.
    /// </summary>
    public const long MaxBodyBytes = 100 * 1024 * 1024;
}

public sealed record AddPolicyTestRequest(string Client, string To, string Expect, string Reason, string? Proto = null, int? Port = null, int? IcmpType = null);

public sealed record PublishRequest(string Reason, int? ConfirmWithinSeconds = null);

public sealed record RollBackRequest(int? ToVersion, string Reason);

public sealed record ConfirmRequest(string Reason, int? Version = null);
