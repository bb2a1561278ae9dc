using System.Net;
using Lethe.PacketPath.Classification;
using Lethe.PacketPath.Dns;

namespace Lethe.Firewall;

/// <summary>
/// Keeps the running policy's dsthost answers fresh through the configured resolvers, in memory.
/// A swapped-in policy gets a refresher of its own over its own host table, and the one before it
/// stops: there is one refresher at a time, however swaps and reloads interleave.
/// </summary>
public sealed class NameRefresh(IReadOnlyList<IPEndPoint> resolvers, TextWriter log, CancellationToken stopping)
{
    private readonly Lock _lock = new();
    private CancellationTokenSource? _current;
    private HostRefresher? _refresher;
    private readonly List<Task> _running = [];

    /// <summary>
    /// Keeps <paramref name="hosts"/> fresh from now on, instead of the table before it (whose answers
    /// <paramref name="hosts"/> holds, copied: those names keep their schedule). Returns the task of
    /// the first answers: complete once every name without an answer for either family has been asked
    /// once, unless the table before had none for it either (or at once when there is nothing to ask).
    /// </summary>
    public Task Start(HostTable hosts)
    {
        lock (_lock)
        {
            _current?.Cancel();
            _current?.Dispose();
            _current = null;
            _running.RemoveAll(t => t.IsCompleted);
            var previous = _refresher;
            _refresher = null;
            if (hosts.Names.Count == 0)
            {
                return Task.CompletedTask;
            }
            if (resolvers.Count == 0)
            {
                log.WriteLine($"dns: no --dns resolver, so dsthost names stay unresolved: {string.Join(", ", hosts.Names)}");
                return Task.CompletedTask;
            }
            _current = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            // One line per family: the record's TTL and that family's own wait, which clamps it (and retries a failed family after 30 s).
            var refresher = new HostRefresher(hosts, new DnsResolver(resolvers), (name, v6, answer, again) =>
                log.WriteLine($"dns: {name}: {answer.Outcome} {string.Join(", ", answer.Addresses)} ({(v6 ? "AAAA" : "A")}, " +
                    $"ttl {answer.Ttl.TotalSeconds:0}s, asked again in {again.TotalSeconds:0}s){(answer.Detail is null ? "" : " " + answer.Detail)}"),
                previous: previous);
            _refresher = refresher;
            _running.Add(refresher.Run(_current.Token));
            return refresher.FirstAnswers;
        }
    }

    public async Task Stop()
    {
        Task[] running;
        lock (_lock)
        {
            _current?.Cancel();
            running = [.. _running];
        }
        foreach (var task in running)
        {
            try
            {
                await task;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
