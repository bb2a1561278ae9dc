using FluentValidation;
using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain;
using Lethe.Domain.Policies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Lethe.Control.Server;

/// <summary>The one place where refusals become problem details; each kind keeps its own status code.</summary>
public sealed class ProblemMapping(IProblemDetailsService problems, ILogger<ProblemMapping> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var poolExhausted = DatabaseFailure.IsPoolExhausted(exception);
        var connectionLimit = DatabaseFailure.IsConnectionLimit(exception);
        ProblemDetails? problem = exception switch
        {
            ValidationException e => new ValidationProblemDetails(e.Errors
                .GroupBy(f => f.PropertyName)
                .ToDictionary(g => Camel(g.Key), g => g.Select(f => f.ErrorMessage).ToArray()))
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request has invalid fields.",
                Detail = string.Join(" ", e.Errors.Select(f => f.ErrorMessage)),
            },
            PolicyTestsFailedException e => new ProblemDetails
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Policy tests failed; nothing was published.",
                Detail = e.Message,
                Extensions =
                {
                    ["failures"] = e.Failures.Select(f => new
                    {
                        test = f.Test.Id, client = f.Test.Client, to = f.Test.To, proto = f.Test.Proto, port = f.Test.Port,
                        expected = f.Test.Expect, got = Domain.Rules.Rule.Format(f.Decision.Action), rule = f.Decision.RuleId,
                        reason = f.Decision.Reason, description = f.Describe(),
                    }).ToArray(),
                },
            },
            // The validators parse every rule first; this only catches a rule that stopped parsing in between (its expire's clock moved).
            Domain.Rules.RuleFormatException e => new ValidationProblemDetails(new Dictionary<string, string[]> { ["rule." + e.Key] = [e.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request has invalid fields.",
                Detail = e.Message,
            },
            DomainException e => new ProblemDetails
            {
                Status = e.Refusal switch
                {
                    Refusal.NotFound => StatusCodes.Status404NotFound,
                    Refusal.Conflict => StatusCodes.Status409Conflict,
                    _ => StatusCodes.Status422UnprocessableEntity,
                },
                Title = e.Refusal switch
                {
                    Refusal.NotFound => "Not found.",
                    Refusal.Conflict => "The change conflicts with the policy as it is.",
                    _ => "The change breaks a rule of the policy.",
                },
                Detail = e.Message,
            },
            // Not a race: the version the request named was already behind when it came.
            StaleVersionException e => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The policy is not at the version this request named.",
                Detail = e.Message,
            },
            ConcurrencyConflictException e => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "The policy changed while this request was being made.",
                Detail = e.Message,
            },
            Api.BadRequestPartException e => new ValidationProblemDetails(new Dictionary<string, string[]> { [e.Part] = [e.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request has invalid fields.",
                Detail = e.Message,
            },
            // A field the request does not have, most often a misspelt optional one: named, so the command is not carried out without it.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } e when UnknownField(json) is { } field =>
                new ValidationProblemDetails(new Dictionary<string, string[]> { [FieldKey(field)] = [$"{QuotedText.Quote(field)} is not a field of this request (misspelt?); nothing was changed"] })
                {
                    Status = e.StatusCode,
                    Title = "The request has invalid fields.",
                    Detail = $"The body has a field {QuotedText.Quote(field)} this request does not take.",
                },
            // A field given twice (AllowDuplicateProperties is off): named like any bad field, without the reader's own words, which name a server type.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } e when DuplicateField(json) is { } field =>
                new ValidationProblemDetails(new Dictionary<string, string[]> { [FieldKey(field)] = [$"{QuotedText.Quote(field)} is given twice; give each field once (nothing was changed)"] })
                {
                    Status = e.StatusCode,
                    Title = "The request has invalid fields.",
                    Detail = $"The body gives the field {QuotedText.Quote(field)} twice.",
                },
            // JSON that does not parse (cut short, a trailing comma, a quote of the wrong kind): no field is to blame.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException json } e when !IsTypeMismatch(json) =>
                new ValidationProblemDetails(new Dictionary<string, string[]> { ["body"] = [$"The body is not valid JSON: {FirstSentence(json.Message)}"] })
                {
                    Status = e.StatusCode,
                    Title = "The request has invalid fields.",
                    // ASP.NET's own words name the server's request type ("Failed to read parameter \"AddRuleRequest body\"").
                    Detail = $"The body is not valid JSON: {FirstSentence(json.Message)}",
                },
            // A field of the wrong JSON type: named like any other bad field, from the path the reader stopped at.
            BadHttpRequestException { InnerException: System.Text.Json.JsonException { Path: { Length: > 2 } path } json } e =>
                new ValidationProblemDetails(new Dictionary<string, string[]> { [JsonField(path)] = [JsonFieldProblem.Error(JsonField(path), json)] })
                {
                    Status = e.StatusCode,
                    Title = "The request has invalid fields.",
                    Detail = JsonFieldProblem.Detail(JsonField(path), json),
                },
            // No body, "null", or a JSON value that is not an object: ASP.NET's own message speaks to the developer, not the caller.
            BadHttpRequestException e when IsMissingBody(e) =>
                new ValidationProblemDetails(new Dictionary<string, string[]> { ["body"] = ["a JSON object is required (with the request's fields, 'reason' among them)"] })
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "The request has invalid fields.",
                    Detail = "The request has no JSON object for a body.",
                },
            // A body with no Content-Type at all (routing answers another type before the binding reads anything).
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => new ProblemDetails
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported Media Type",
                Detail = MediaTypeProblem.Detail(context.Request),
            },
            BadHttpRequestException e => new ProblemDetails
            {
                Status = e.StatusCode,
                Title = "The request could not be read.",
                Detail = e.Message,
            },
            _ when poolExhausted => Busy(context.Request),
            _ when connectionLimit => Refused(context.Request),
            _ when DatabaseFailure.Is(exception) => Unavailable(context.Request),
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }
        if (CurrentVersion(exception) is { } current)
        {
            // The version a retry names, as data: a client need not read it out of the detail's English.
            problem.Extensions[CurrentVersionMember] = current;
            // As every other answer about the policy carries it: the value for the next If-Match.
            ConflictVersionHeader.Keep(context, current);
        }
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // A handled exception is no longer logged by ASP.NET (.NET 10), and an outage must be seen in the log.
            if (poolExhausted)
            {
                log.LogError(exception, "{Method} {Path}: every database connection stayed in use (raise Max Pool Size in the connection string, or look for slow queries)",
                    context.Request.Method, context.Request.Path);
            }
            else if (connectionLimit)
            {
                log.LogError(exception, "{Method} {Path}: PostgreSQL refused a new connection, its limit reached (raise max_connections, or lower Max Pool Size so the instances' pools together stay below it)",
                    context.Request.Method, context.Request.Path);
            }
            else
            {
                log.LogError(exception, "{Method} {Path}: the database failed or could not be reached", context.Request.Method, context.Request.Path);
            }
            // Both pass; a script or proxy that honours it waits instead of adding to the load at once.
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>The member of a 409 about versions that holds the version the policy is at.</summary>
    public const string CurrentVersionMember = "currentVersion";

    /// <summary>The version the policy is at, for a refusal about versions that knows it; null for any other.</summary>
    private static long? CurrentVersion(Exception exception) => exception switch
    {
        StaleVersionException e => e.Current,
        ConcurrencyConflictException e => e.CurrentVersion,
        _ => null,
    };

    /// <summary>
    /// PostgreSQL failing under a request. A change's COMMIT may have gone through before the
    /// connection was lost, so the caller is told to look before sending it again (which would make it twice).
    /// Nothing of the exception is quoted: its text may name the database's host.
    /// </summary>
    private static ProblemDetails Unavailable(HttpRequest request) => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "The control plane's database is unavailable.",
        Detail = "The control plane's database (PostgreSQL) could not be reached or failed during this request" +
            (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
                ? "; try again once it is back."
                : "; the change may or may not have been made: check `lethe history` before making it again."),
    };

    /// <summary>What a 503 asks a caller to wait: the interval a watching firewall polls at by default.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// No free connection to PostgreSQL within the pool's Timeout. The database answers, so saying it
    /// could not be reached would send the operator to the wrong place. A change is most likely not
    /// made, but a retry of a COMMIT whose answer was lost can be what waited, so the caller still looks.
    /// </summary>
    private static ProblemDetails Busy(HttpRequest request) => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "The control plane is busy.",
        Detail = "Every connection the control plane keeps to its database (PostgreSQL) stayed in use while this request waited for one " +
            "(too many requests at once, or slow queries)" + WhatToDoWhenBusy(request),
    };

    /// <summary>
    /// PostgreSQL refused to open a connection for this request (SQLSTATE 53300). A change is most
    /// likely not made, but a handler that had opened another connection first may have committed on
    /// it, so the caller still looks. Nothing of the exception is quoted: it names the role.
    /// </summary>
    private static ProblemDetails Refused(HttpRequest request) => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "The control plane's database refused a connection.",
        Detail = "PostgreSQL has as many connections as it allows (its max_connections, or a connection limit on the control plane's role or database) " +
            "and refused the one this request needed" + WhatToDoWhenBusy(request),
    };

    /// <summary>A read is simply tried again; a change was most likely not made, but one whose COMMIT went through is not made twice.</summary>
    private static string WhatToDoWhenBusy(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            ? "; try again in a few seconds."
            : "; the change was most likely not made, but check `lethe history` before making it again.";

    /// <summary>The serializer's complaint about a value of the wrong kind, as against the reader's about the text.</summary>
    private static bool IsTypeMismatch(System.Text.Json.JsonException json) =>
        json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    /// <summary>The property System.Text.Json could not map (UnmappedMemberHandling.Disallow), or null for any other complaint.</summary>
    private static string? UnknownField(System.Text.Json.JsonException json)
    {
        const string Prefix = "The JSON property '";
        if (!json.Message.StartsWith(Prefix, StringComparison.Ordinal) || !json.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return null;
        }
        // The last: the name may hold these words itself, the type name after them cannot.
        var end = json.Message.LastIndexOf("' could not be mapped", StringComparison.Ordinal);
        // A field named "" is one too (end == Prefix.Length): left out, it fell through to "not valid JSON" in the serializer's words.
        return end >= Prefix.Length ? json.Message[Prefix.Length..end] : null;
    }

    /// <summary>
    /// The field System.Text.Json met a second time, as the body spells it where the reader says where it stopped
    /// ("$.Rule"), else as the request names it; null for any other complaint.
    /// </summary>
    private static string? DuplicateField(System.Text.Json.JsonException json)
    {
        const string Prefix = "Duplicate property '";
        if (!json.Message.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        if (json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal))
        {
            return JsonField(path);
        }
        var end = json.Message.IndexOf('\'', Prefix.Length);
        return end > Prefix.Length ? json.Message[Prefix.Length..end] : null;
    }

    /// <summary>
    /// ASP.NET's refusals of an absent body, a "null" one, and one of another JSON kind (an array, a
    /// string), as against a body that is there but wrong, which the branches above name.
    /// </summary>
    private static bool IsMissingBody(BadHttpRequestException e) =>
        e.InnerException is System.Text.Json.JsonException { Path: "$" }
        || e.Message.Contains("no body was provided", StringComparison.Ordinal)
        || e.Message.StartsWith("Required parameter", StringComparison.Ordinal);

    /// <summary>
    /// The errors key for a field the body names: its name, unless too long to quote whole (a megabyte of it would
    /// be sent back as the key, and again in the message), when the body is named instead.
    /// </summary>
    private static string FieldKey(string field) => field.Length <= QuotedText.MaxShown ? field : "body";

    /// <summary>"$.position" is "position", "$.lines[2]" is "lines[2]".</summary>
    private static string JsonField(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string FirstSentence(string message) => message.Split(". Path:", 2)[0].TrimEnd('.') + ".";

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
