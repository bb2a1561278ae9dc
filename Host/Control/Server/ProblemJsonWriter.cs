using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Lethe.Control.Server;

/// <summary>
/// Writes problem details as application/problem+json whatever the request's Accept header says.
/// ASP.NET's own writer declines a client that does not accept JSON (a script fetching the snapshot
/// "file" with Accept: application/octet-stream, say), and the refusal then went out without a body
/// or, for an unknown policy, as a 500. Registered after that writer, it answers only what it declined.
/// </summary>
public sealed class ProblemJsonWriter(IOptions<JsonOptions> json, IOptions<ProblemDetailsOptions> options) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var response = context.HttpContext.Response;
        var problem = context.ProblemDetails;
        problem.Status ??= response.StatusCode;
        ProblemDefaults.Fill(problem, problem.Status.Value);
        // As ASP.NET's own writer does, so a refusal reads the same whatever the Accept header.
        options.Value.CustomizeProblemDetails?.Invoke(context);
        var type = problem.GetType();
        return new ValueTask(response.WriteAsJsonAsync(problem, type, json.Value.SerializerOptions, "application/problem+json",
            context.HttpContext.RequestAborted));
    }
}
