using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Domain.Policies;
using Mediator;

namespace Lethe.Application.Publishing.Publish;

/// <param name="ConfirmWithin">Commit-confirmed: unless confirmed in time, the last confirmed content is published again.</param>
public sealed record Publish(string Policy, string Reason, TimeSpan? ConfirmWithin = null, long? ExpectedVersion = null) : ICommand<Published>;

public sealed class PublishHandler(PolicyWriter writer, Sealing sealing, IPolicyStore store, ControlPlaneOptions options,
    ConfirmationDeadlines deadlines) : ICommandHandler<Publish, Published>
{
    public async ValueTask<Published> Handle(Publish command, CancellationToken ct)
    {
        // Decided from the log folded afresh (draft, tests, publishing state), not the stored projection,
        // which is then checked against it: a projection changed outside Lethe is refused, not signed.
        var policy = await writer.LoadFromLog(command.Policy, command.ExpectedVersion, ct);
        try
        {
            return await Publish(command, policy, ct);
        }
        catch (ConcurrencyConflictException lost)
        {
            throw await writer.LostRace(policy, "publish", command.ExpectedVersion,
                _ => "Nothing was published; look at the draft again (lethe show, lethe diff) and publish it if it is still what you want.", lost, ct);
        }
    }

    private async Task<Published> Publish(Publish command, Policy policy, CancellationToken ct)
    {
        var (content, sha) = policy.SealableContent();
        var stored = await store.Load(policy.Id, ct);
        if (stored?.Version != policy.Version)
        {
            throw new ConcurrencyConflictException(
                $"Policy {policy.Id} changed while it was being published. Nothing was published; read it again and retry.");
        }
        if (stored.SealableContent().Sha256 != sha)
        {
            throw new Domain.DomainException(Domain.Refusal.Unprocessable,
                $"The stored draft of policy {policy.Id} differs from what its log records: the database was changed outside Lethe. Nothing was published.");
        }
        var now = sealing.Now;
        var results = PolicyTestRunner.Run(policy.Id, policy.Draft, now.ToUnixTimeSeconds(), options.DnsResolvers);
        var resealing = sha == policy.Publishing.LatestContentSha256
            && await sealing.SealedOtherwise(policy.Id, policy.Publishing.LatestVersion, ct);
        var published = policy.Publish(sha, now, command.ConfirmWithin, results, resealing, sealing.KeyId);
        if (published.ConfirmBy is not null)
        {
            await RequireRevertible(policy, ct);
        }
        var sealedVersion = await sealing.Store(policy, writer.Stamp(command.Reason), published, published.Version, published.LogPosition, content,
            policy.Draft, published.ConfirmBy, ct);
        if (published.ConfirmBy is { } by)
        {
            deadlines.Track(policy.Id, published.Version, by);
        }
        return sealedVersion;
    }

    /// <summary>
    /// A deadline is set only when the revert it promises can be made: checked when it is due instead,
    /// the revert would fail then and leave the unconfirmed version running.
    /// </summary>
    private async Task RequireRevertible(Policy policy, CancellationToken ct)
    {
        var confirmed = policy.Publishing.ConfirmedVersion;
        try
        {
            await sealing.Require(policy.Id, confirmed, ct);
        }
        catch (Domain.DomainException e)
        {
            throw new Domain.DomainException(e.Refusal,
                $"Unless confirmed, this publish would be reverted to version {confirmed}, which cannot be restored: {e.Message} Nothing was published.");
        }
    }
}
