using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Publishing.Publish;

/// <param name="ConfirmWithin">Commit-confirmed: unless confirmed in time, the last confirmed content is published again.</param>
public sealed record Publish(string Policy, string Reason, TimeSpan? ConfirmWithin = null, long? ExpectedVersion = null) : ICommand<Published>;

public sealed class PublishHandler(PolicyWriter writer, Sealing sealing, IPolicyStore store, ControlPlaneOptions options) : ICommandHandler<Publish, Published>
{
    public async ValueTask<Published> Handle(Publish command, CancellationToken ct)
    {
        var policy = await writer.Load(command.Policy, command.ExpectedVersion, ct);
        var (content, sha) = policy.SealableContent();
        // What is signed must be what the audited log says: the stored draft is checked against the log
        // folded afresh, so a draft changed in the database outside Lethe (no event) is never sealed.
        // Folded up to the version loaded: a change committed meanwhile is the append's 409, not this.
        if (await store.LoadFromLog(policy.Id, policy.Version, ct) is not { } logged || logged.Version != policy.Version
            || logged.SealableContent().Sha256 != sha)
        {
            throw new Domain.DomainException(Domain.Refusal.Unprocessable,
                $"The stored draft of policy {policy.Id} differs from what its log records: the database was changed outside Lethe. Nothing was published.");
        }
        var now = sealing.Now;
        var results = PolicyTestRunner.Run(policy.Id, policy.Draft, now.ToUnixTimeSeconds(), options.DnsResolvers);
        var resealing = sha == policy.Publishing.LatestContentSha256
            && await sealing.SealedOtherwise(policy.Id, policy.Publishing.LatestVersion, ct);
        var published = policy.Publish(sha, now, command.ConfirmWithin, results, resealing);
        return await sealing.Store(policy, writer.Stamp(command.Reason), published, published.Version, published.LogPosition, content,
            policy.Draft, published.ConfirmBy, ct);
    }
}
