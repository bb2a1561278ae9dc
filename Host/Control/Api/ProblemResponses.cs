namespace Lethe.Control.Api;

/// <summary>
/// The refusals each group of endpoints can answer with, so the OpenAPI document lists them
/// (ProblemMapping decides which exception becomes which status).
/// </summary>
public static class ProblemResponses
{
    /// <summary>Reads: a malformed parameter (400) or a policy, version or snapshot that does not exist (404).</summary>
    public static RouteGroupBuilder RefusesReads(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    /// <summary>Changes: also a stale If-Match or a clash with the policy as it is (409), and a change the policy refuses (422).</summary>
    public static RouteGroupBuilder RefusesChanges(this RouteGroupBuilder group)
    {
        group.RefusesReads();
        group.ProducesProblem(StatusCodes.Status409Conflict);
        group.ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return group;
    }
}
