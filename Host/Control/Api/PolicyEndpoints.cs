using Lethe.Application.Clients.AddClient;
using Lethe.Application.Clients.RemoveClient;
using Lethe.Application.Diff.GetDiff;
using Lethe.Application.History.GetHistory;
using Lethe.Application.Policies.CreatePolicy;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Policies.ListPolicies;
using Lethe.Application.Policies.ShowPolicyAt;
using Lethe.Application.Common;
using Lethe.Control.Api.OpenApi;
using Lethe.Control.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Mediator;

namespace Lethe.Control.Api;

public static class PolicyEndpoints
{
    public static void MapPolicies(this IEndpointRouteBuilder app)
    {
        var list = app.MapGroup("/policies").RequireAuthorization(Roles.Viewer).WithTags("policies").RefusesListing();
        var read = app.MapGroup("/policies").RequireAuthorization(Roles.Viewer).WithTags("policies").RefusesReads();
        // A create has no version to match (If-Match is refused there); every other change takes one.
        var create = app.MapGroup("/policies").RequireAuthorization(Roles.Editor).WithTags("policies").RefusesCreation();
        var write = app.MapGroup("/policies").RequireAuthorization(Roles.Editor).WithTags("policies").RefusesChanges().ChangesWithIfMatch();

        list.MapGet("/", async (IMediator m, CancellationToken ct) => TypedResults.Ok(await m.Send(new ListPolicies(), ct)));

        create.MapPost("/", async (CreatePolicyRequest body, IMediator m, HttpRequest request, HttpResponse response, CancellationToken ct) =>
        {
            if (request.Headers.IfMatch.ToString().Trim().Length > 0)
            {
                // Ignoring it would let a caller believe a version was checked.
                throw new BadRequestPartException("If-Match", "If-Match has no version to match on a policy being created: leave it out.");
            }
            var result = await m.Send(new CreatePolicy(body.Name, body.Reason), ct);
            IfMatch.Write(response, result.Version);
            return TypedResults.Created($"/policies/{result.Policy}", result);
        }).AnswersWithVersion("201");

        read.MapGet("/{policy}", async (string policy, string? at, IMediator m, HttpResponse response, CancellationToken ct) =>
        {
            var found = at is null ? await m.Send(new GetPolicy(policy), ct) : await m.Send(new ShowPolicyAt(policy, AtParameter.Read(at)), ct);
            IfMatch.Write(response, found.Version);
            return TypedResults.Ok(PolicyView.Of(found));
        }).AnswersWithVersion("200");

        read.MapGet("/{policy}/history", async (string policy, string? limit, string? before, IMediator m, HttpRequest request, HttpResponse response,
            CancellationToken ct) =>
        {
            var (most, cursor) = HistoryPaging.Read(limit, before);
            var page = await m.Send(new GetHistory(policy, most, cursor), ct);
            if (page.Before is { } older)
            {
                response.Headers.Link = HistoryPaging.Next(request, policy, most, older);
            }
            return TypedResults.Ok(page.Entries);
        }).PagesHistory();

        read.MapGet("/{policy}/diff", async (string policy, string? from, string? to, IMediator m, CancellationToken ct) =>
            TypedResults.Ok(await m.Send(new GetDiff(policy, from ?? "", to ?? "draft"), ct)))
            .RequiresQuery("from");

        write.MapPost("/{policy}/clients", async (string policy, AddClientRequest body, IMediator m, HttpRequest request, CancellationToken ct) =>
            Changed(request, await m.Send(new AddClient(policy, body.Name, body.Addresses ?? [], body.Reason, IfMatch.Read(request)), ct)));

        write.MapPost("/{policy}/clients/{client}/remove", async (string policy, string client, ReasonRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
            Changed(request, await m.Send(new RemoveClient(policy, client, body.Reason, IfMatch.Read(request)), ct)));
    }

    public static Ok<ChangeResult> Changed(HttpRequest request, ChangeResult result)
    {
        IfMatch.Write(request.HttpContext.Response, result.Version);
        return TypedResults.Ok(result);
    }
}
