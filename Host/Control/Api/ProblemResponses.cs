using Lethe.Control.Api.OpenApi;

namespace Lethe.Control.Api;

/// <summary>
/// The refusals each group of endpoints can answer with, so the OpenAPI document lists them
/// (ProblemMapping decides which exception becomes which status).
/// </summary>
public static class ProblemResponses
{
    /// <summary>
    /// The list of policies: nothing in its request can be malformed or name what does not exist, so
    /// only a database that could not be reached or failed (503).
    /// </summary>
    public static RouteGroupBuilder RefusesListing(this RouteGroupBuilder group)
    {
        group.ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.AnswersBusyWithRetryAfter();
        return group;
    }

    /// <summary>
    /// Reads: a malformed parameter (400), a policy, version or snapshot that does not exist (404), or
    /// a database that could not be reached or failed (503).
    /// </summary>
    public static RouteGroupBuilder RefusesReads(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.ProducesProblem(StatusCodes.Status404NotFound);
        return group.RefusesListing();
    }

    /// <summary>
    /// A policy being created: a bad field (400), a name taken (409), a body too large (413) or not
    /// JSON (415), or the database (503). It names no policy that must exist (404), and an empty
    /// policy has nothing a change could break (422).
    /// </summary>
    public static RouteGroupBuilder RefusesCreation(this RouteGroupBuilder group)
    {
        group.ProducesValidationProblem();
        group.RefusesListing();
        return group.RefusesBodies();
    }

    /// <summary>
    /// Changes: also a stale If-Match, a write lost to another request's, or a clash with the policy as it is (409), a change the policy
    /// refuses (422), a body larger than the server reads (413) and one not sent as JSON (415).
    /// </summary>
    public static RouteGroupBuilder RefusesChanges(this RouteGroupBuilder group)
    {
        group.RefusesReads();
        group.RefusesBodies();
        group.ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return group;
    }

    private static RouteGroupBuilder RefusesBodies(this RouteGroupBuilder group)
    {
        group.ProducesProblem(StatusCodes.Status409Conflict);
        group.ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        group.ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }
}
