using Lethe.Application.Common;
using Lethe.Application.Ports;
using Mediator;

namespace Lethe.Application.Publishing.Confirm;

/// <param name="Version">The snapshot version the caller tested; another one waiting is refused. Null: whichever waits.</param>
public sealed record Confirm(string Policy, string Reason, long? ExpectedVersion = null, int? Version = null) : ICommand<Confirmed>;

public sealed class ConfirmHandler(PolicyWriter writer, TimeProvider clock) : ICommandHandler<Confirm, Confirmed>
{
    /// <remarks>
    /// Never decided again after a lost race, as other changes are without an expected version: the
    /// race may have been another publish, and a retry would confirm a version its caller never saw.
    /// </remarks>
    public async ValueTask<Confirmed> Handle(Confirm command, CancellationToken ct)
    {
        var policy = await writer.Load(command.Policy, command.ExpectedVersion, ct);
        var confirmed = policy.Confirm(clock.GetUtcNow(), command.Version);
        try
        {
            return new Confirmed(policy.Id, await writer.Append(policy, command.Reason, [confirmed], ct), confirmed.Version);
        }
        catch (ConcurrencyConflictException lost)
        {
            throw await writer.LostRace(policy, "confirm", command.ExpectedVersion,
                _ => $"Nothing was confirmed; look at the policy again (lethe show) and confirm version {confirmed.Version} if it is still the one on trial.", lost, ct);
        }
    }
}
