namespace Lethe.Domain;

/// <summary>How a refused command should be reported: the HTTP layer maps each kind to a status code.</summary>
public enum Refusal
{
    /// <summary>The thing named does not exist (404).</summary>
    NotFound,
    /// <summary>The command collides with the current state: a duplicate, a stale version (409).</summary>
    Conflict,
    /// <summary>The command is well-formed but breaks a rule of the policy (422).</summary>
    Unprocessable,
}

/// <summary>A broken invariant, in a sentence that names the values involved.</summary>
public class DomainException(Refusal refusal, string message) : Exception(message)
{
    public Refusal Refusal { get; } = refusal;
}
