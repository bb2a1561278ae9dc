using Lethe.Control.Api.OpenApi;

namespace Lethe.Control.Api;

/// <summary>
/// The refusals each group of endpoints can answer with, so the OpenAPI document lists them
/// (ProblemMapping decides which exception becomes which status).
/// </summary>
public static class ProblemResponses
{
    /// <summary>
    /// Reads: a malformed parameter (400), a policy, version or snapshot that does not exist (404), or
    /// a database that could not be reached or failed (503).
    /// </summary>
    public static RouteGroupBuilder RefusesReads(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.ProducesProblem(StatusCodes.Status404NotFound);
        group.ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.AnswersBusyWithRetryAfter();
        return group;
    }

    /// <summary>
    /// Changes: also a stale If-Match or a clash with the policy as it is (409), a change the policy
    /// refuses (422), a body larger than the server reads (413) and one not sent as JSON (415).
    /// </summary>
    public static RouteGroupBuilder RefusesChanges(this RouteGroupBuilder group)
    {
        group.RefusesReads();
        group.ProducesProblem(StatusCodes.Status409Conflict);
        group.ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return group;
    }
}
