using Lethe.Application.Common;
using Lethe.Application.Ports;
using Lethe.Application.Publishing.FindOverdue;
using Lethe.Application.Publishing.RevertUnconfirmed;
using Mediator;
using Microsoft.Extensions.Options;

namespace Lethe.Control.Server;

/// <summary>
/// Reverts commit-confirmed publishes that ran out of time. The deadline lives in the event log,
/// so a control plane restarted in between still reverts; when several instances race, the
/// stream's expected version lets one win and the others see a conflict and move on.
/// </summary>
public sealed class ConfirmationWatchdog(IServiceScopeFactory scopes, IOptions<ControlPlaneSettings> settings, ILogger<ConfirmationWatchdog> log)
    : BackgroundService
{
    public const string ActorName = "lethe (confirmation watchdog)";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(settings.Value.ConfirmCheckSeconds));
        do
        {
            try
            {
                await RevertOverdue(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Checking for unconfirmed publishes failed; will try again");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RevertOverdue(CancellationToken ct)
    {
        IReadOnlyList<string> overdue;
        using (var scope = scopes.CreateScope())
        {
            overdue = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new FindOverdue(), ct);
        }
        foreach (var policy in overdue)
        {
            using var scope = scopes.CreateScope();
            var actor = scope.ServiceProvider.GetRequiredService<Actor>();
            actor.Name = ActorName;
            try
            {
                var outcome = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new RevertUnconfirmed(policy), ct);
                if (outcome?.Published is { } published)
                {
                    log.LogWarning("Policy {Policy}: publish not confirmed in time; published the last confirmed content as version {Version}",
                        policy, published.Version);
                }
                else if (outcome?.Abandoned is { } abandoned)
                {
                    // Once: the abandonment ends the overdue state, so no later round meets this policy again.
                    log.LogWarning(
                        "Policy {Policy}: version {Version} was not confirmed in time, but version {ToVersion} {Why}, so it cannot be restored; it stays, confirmed",
                        policy, abandoned.Version, abandoned.ToVersion, abandoned.Why);
                }
            }
            catch (ConcurrencyConflictException)
            {
                // Another instance (or an operator's confirm) got there first.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One policy whose revert fails (its confirmed version changed in the database, say) must not
                // keep the policies after it in the list from being reverted.
                log.LogError(e, "Policy {Policy}: reverting the unconfirmed publish failed; will try again", policy);
            }
        }
    }
}
