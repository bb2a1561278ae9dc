using System.Net;
using Lethe.PacketPath.Dns;
using Lethe.PacketPath.Engine;

namespace Lethe.Firewall;

/// <summary>
/// Keeps the running policy's dsthost answers fresh through the configured resolvers, in memory.
/// A swapped-in policy gets a refresher of its own over its own host table.
/// </summary>
public sealed class NameRefresh(IReadOnlyList<IPEndPoint> resolvers, TextWriter log, CancellationToken stopping)
{
    private CancellationTokenSource? _current;
    private Task _running = Task.CompletedTask;

    public void Start(ActivePolicy policy)
    {
        _current?.Cancel();
        if (policy.Compiled.HostNames.Count == 0)
        {
            return;
        }
        if (resolvers.Count == 0)
        {
            log.WriteLine($"dns: no --dns resolver, so dsthost names stay unresolved: {string.Join(", ", policy.Compiled.HostNames)}");
            return;
        }
        _current = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var refresher = new HostRefresher(policy.Hosts, new DnsResolver(resolvers), (name, answer) =>
            log.WriteLine($"dns: {name}: {answer.Outcome} {string.Join(", ", answer.Addresses)} (ttl {answer.Ttl.TotalSeconds:0}s){(answer.Detail is null ? "" : " " + answer.Detail)}"));
        _running = refresher.Run(_current.Token);
    }

    public async Task Stop()
    {
        _current?.Cancel();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
