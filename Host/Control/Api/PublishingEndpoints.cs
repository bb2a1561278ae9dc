using Lethe.Application.Publishing.Confirm;
using Lethe.Application.Publishing.Publish;
using Lethe.Application.Publishing.RollBack;
using Lethe.Application.Snapshots.GetSnapshot;
using Lethe.Application.Snapshots.GetSnapshotSummary;
using Lethe.Application.Snapshots.ListSnapshots;
using Lethe.Control.Api.OpenApi;
using Lethe.Control.Server;
using Lethe.Domain.Snapshots;
using Lethe.Infrastructure.Signing;
using Mediator;

namespace Lethe.Control.Api;

public static class PublishingEndpoints
{
    public static void MapPublishing(this IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("/policies/{policy}").RequireAuthorization(Roles.Editor).WithTags("publishing").RefusesChanges().ChangesWithIfMatch();
        var read = app.MapGroup("/policies/{policy}").RequireAuthorization(Roles.Viewer).WithTags("snapshots").RefusesReads();

        write.MapPost("/publish", async (string policy, PublishRequest body, IMediator m, HttpRequest request, CancellationToken ct) =>
        {
            var within = body.ConfirmWithinSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
            var published = await m.Send(new Publish(policy, body.Reason, within, IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, published.StreamVersion);
            return TypedResults.Ok(published);
        });

        write.MapPost("/confirm", async (string policy, ConfirmRequest body, IMediator m, HttpRequest request, CancellationToken ct) =>
        {
            var confirmed = await m.Send(new Confirm(policy, body.Reason, IfMatch.Read(request), body.Version), ct);
            IfMatch.Write(request.HttpContext.Response, confirmed.Version);
            return TypedResults.Ok(confirmed);
        });

        write.MapPost("/rollback", async (string policy, RollBackRequest body, IMediator m, HttpRequest request, CancellationToken ct) =>
        {
            var published = await m.Send(new RollBack(policy, body.ToVersion, body.Reason, IfMatch.Read(request)), ct);
            IfMatch.Write(request.HttpContext.Response, published.StreamVersion);
            return TypedResults.Ok(published);
        });

        read.MapGet("/snapshots", async (string policy, IMediator m, CancellationToken ct) =>
            TypedResults.Ok((await m.Send(new ListSnapshots(policy), ct))
                .Select(s => new SnapshotListEntry(s.Version, s.ContentSha256, s.KeyId, s.SealedAt, s.LogPosition))));

        // The exact file a firewall verifies. The ETag lets a watching firewall poll cheaply: a 304 is
        // answered from the version's summary, without reading its content.
        read.MapGet("/snapshots/{version}", async (string policy, string version, IMediator m, HttpRequest request, CancellationToken ct) =>
        {
            var named = await m.Send(new GetSnapshotSummary(policy, version), ct);
            var etag = $"\"{named.Version}-{named.ContentSha256[..16]}\"";
            request.HttpContext.Response.Headers.ETag = etag;
            if (EntityTags.Match(request.Headers.IfNoneMatch, etag))
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            var snapshot = await m.Send(new GetSnapshot(policy, named.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), ct);
            return Results.Bytes(SnapshotCodec.ToFile(snapshot), "application/json");
        }).Produces<SealedSnapshot>(StatusCodes.Status200OK, "application/json").Produces(StatusCodes.Status304NotModified).AnswersWithSnapshotTag();

        app.MapGet("/signing-key", (FileSnapshotSigner signer) => TypedResults.Ok(new SigningKey(signer.KeyId, signer.PublicKeyPem)))
            .RequireAuthorization(Roles.Viewer).WithTags("keys");
    }
}
