using Lethe.Application.PolicyTests.AddPolicyTest;
using Lethe.Application.PolicyTests.RemovePolicyTest;
using Lethe.Application.Policies.GetPolicy;
using Lethe.Application.Rules.AddRule;
using Lethe.Application.Rules.ImportRules;
using Lethe.Application.Rules.MoveRule;
using Lethe.Application.Rules.RemoveRule;
using Lethe.Application.Rules.ReplaceRule;
using Lethe.Control.Api.OpenApi;
using Lethe.Control.Server;
using Mediator;
using Microsoft.AspNetCore.Mvc;

namespace Lethe.Control.Api;

public static class RuleEndpoints
{
    public static void MapRules(this IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("/policies/{policy}").RequireAuthorization(Roles.Editor).WithTags("rules").RefusesChanges().ChangesWithIfMatch();
        var read = app.MapGroup("/policies/{policy}").RequireAuthorization(Roles.Viewer).WithTags("rules").RefusesReads();

        write.MapPost("/clients/{client}/rules", async (string policy, string client, AddRuleRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
        {
            var added = await m.Send(new AddRule(policy, client, body.Rule, body.Position, body.Reason, IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, added.Version);
            return TypedResults.Ok(added);
        });

        write.MapPost("/clients/{client}/rules/import", async (string policy, string client, ImportRulesRequest body, IMediator m,
            HttpRequest request, CancellationToken ct) =>
        {
            var imported = await m.Send(new ImportRules(policy, client, body.Lines, body.Replace, body.Reason, IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, imported.Version);
            return TypedResults.Ok(imported);
        }).WithMetadata(new RequestSizeLimitAttribute(ImportRulesRequest.MaxBodyBytes));

        write.MapPost("/rules/{ruleId}/remove", async (string policy, string ruleId, ReasonRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
            PolicyEndpoints.Changed(request, await m.Send(new RemoveRule(policy, ruleId, body.Reason, IfMatch.Read(request)), ct)));

        write.MapPost("/rules/{ruleId}/move", async (string policy, string ruleId, MoveRuleRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
            PolicyEndpoints.Changed(request, await m.Send(new MoveRule(policy, ruleId, body.Position, body.Reason, IfMatch.Read(request)), ct)));

        write.MapPost("/rules/{ruleId}/replace", async (string policy, string ruleId, ReplaceRuleRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
        {
            var replaced = await m.Send(new ReplaceRule(policy, ruleId, body.Rule, body.Reason, IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, replaced.Version);
            return TypedResults.Ok(replaced);
        });

        read.MapGet("/tests", async (string policy, IMediator m, CancellationToken ct) =>
            TypedResults.Ok((await m.Send(new GetPolicy(policy), ct)).Draft.Tests));

        write.MapPost("/tests", async (string policy, AddPolicyTestRequest body, IMediator m, HttpRequest request, CancellationToken ct) =>
        {
            var added = await m.Send(new AddPolicyTest(policy, body.Client, body.To, body.Proto, body.Port, body.IcmpType, body.Expect, body.Reason,
                IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, added.Version);
            return TypedResults.Ok(added);
        });

        write.MapPost("/tests/{testId}/remove", async (string policy, string testId, ReasonRequest body, IMediator m, HttpRequest request,
            CancellationToken ct) =>
            PolicyEndpoints.Changed(request, await m.Send(new RemovePolicyTest(policy, testId, body.Reason, IfMatch.Read(request)), ct)));
    }
}
